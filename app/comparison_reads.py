"""The Compare page's read: several experiments' runs and `comparison_report`, the function
`lsat report` prints, cached until one of their results changes (`app.service` holds the
engine and the other reads; this module only adds the comparison's)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st
from sqlalchemy import select

from app import analysis, service, store_reads
from lsat_core.evaluation.report import ComparisonReport, comparison_report
from lsat_core.store.engine import read_scope
from lsat_core.store.models import ExperimentRun
from lsat_core.store.queries import comparison


@dataclass(frozen=True)
class Compared:
    experiments: pd.DataFrame
    """id, name, status of the experiments, in the order chosen."""
    protocol: str
    num_periods: int
    dataset: str | None
    """The first experiment's dataset, e.g. "ml-1m"; None when its stream is not built."""
    results: pd.DataFrame
    """Their `results_frame` with `experiment_id`, `variant` and a display `label` per run."""
    report: ComparisonReport
    curves: pd.DataFrame
    """The runs' validation curves (`app.store_reads.CURVE_COLUMNS`)."""


def compared(experiment_ids: tuple[int, ...]) -> Compared:
    """The experiments side by side; InputError (from the store's `comparison`) when they
    cannot be: a missing experiment, another protocol or stream length."""
    return _compared(experiment_ids, _marker(experiment_ids))


@st.cache_data(ttl=service.LIVE_TTL_S, show_spinner=False)
def _marker(experiment_ids: tuple[int, ...]) -> tuple[int, str]:
    with read_scope(service.engine()) as session:
        return store_reads.results_marker(session, _run_ids(experiment_ids))


@st.cache_data(
    ttl=service.STATIC_TTL_S, max_entries=service.RESULT_CACHE_ENTRIES, show_spinner=False
)
def _compared(experiment_ids: tuple[int, ...], marker: tuple[int, str]) -> Compared:
    with read_scope(service.engine()) as session:
        read = comparison(session, list(experiment_ids))
        streams = store_reads.streams_of_experiment(session, experiment_ids[0])
        curves = store_reads.curves_frame(session, read.results["run_id"].unique().tolist())
        experiments = pd.DataFrame(
            [(e.id, e.name, str(e.status.value)) for e in read.experiments],
            columns=["id", "name", "status"],
        )
    report = comparison_report(read.results, read.predictions, read.protocol, read.num_periods)
    return Compared(
        experiments=experiments,
        protocol=read.protocol,
        num_periods=read.num_periods,
        dataset=streams[0].dataset if streams else None,
        results=analysis.with_run_labels(read.results),
        report=report,
        curves=curves,
    )


def _run_ids(experiment_ids: tuple[int, ...]):
    return select(ExperimentRun.run_id).where(ExperimentRun.experiment_id.in_(experiment_ids))
