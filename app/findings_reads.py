"""The Findings page's read: the paper's findings on several experiments (grouped by protocol,
`lsat_core.evaluation.findings_reads`), cached until one of their results changes, as the
Compare page's comparison is (`app.comparison_reads`)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from app import service, store_reads
from lsat_core.evaluation.findings import Finding, check_findings
from lsat_core.evaluation.findings_reads import findings_evidence
from lsat_core.store.engine import read_scope
from lsat_core.store.models import ExperimentRun


def findings(experiment_ids: tuple[int, ...]) -> list[Finding]:
    """Findings 1, 2 and 3; InputError when an experiment is missing or the experiments of one
    protocol differ in stream length."""
    return _findings(experiment_ids, _marker(experiment_ids))


@st.cache_data(ttl=service.LIVE_TTL_S, show_spinner=False)
def _marker(experiment_ids: tuple[int, ...]) -> tuple[int, str]:
    runs = select(ExperimentRun.run_id).where(ExperimentRun.experiment_id.in_(experiment_ids))
    with read_scope(service.engine()) as session:
        return store_reads.results_marker(session, runs)


@st.cache_data(
    ttl=service.STATIC_TTL_S, max_entries=service.RESULT_CACHE_ENTRIES, show_spinner=False
)
def _findings(experiment_ids: tuple[int, ...], marker: tuple[int, str]) -> list[Finding]:
    with read_scope(service.engine()) as session:
        evidence = findings_evidence(session, list(experiment_ids))
    return check_findings(evidence)
