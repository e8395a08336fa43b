"""What the experiment picker and the run monitor read and change beyond `app.service`: the
experiments with their tags, note and runs' labels; an experiment's progress from its work plan;
the rates this machine measured; tags, note, archive and delete (`lsat_core.store`).

Reads are cached like `app.service`'s (live rows a couple of seconds, lists a little longer);
every change needs `auth.may_change` and drops the cached rows it makes stale.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from app import auth, service, work_estimate
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA
from lsat_core.errors import LsatError
from lsat_core.runner.work_plan import experiment_steps
from lsat_core.store.engine import read_scope, session_scope
from lsat_core.store.experiment_admin import (
    Deletion,
    delete_experiment,
    remove_model_folders,
    run_labels_by_experiment,
    set_archived,
    set_note,
    set_tags,
    tags_by_experiment,
)
from lsat_core.store.experiment_progress import ExperimentProgress, experiment_progress
from lsat_core.store.measured_rates import measured_rates
from lsat_core.store.queries import get_experiment, list_experiments
from lsat_core.strategies.registry import STRATEGIES

CATALOG_COLUMNS = (
    "id",
    "name",
    "protocol",
    "status",
    "created_at",
    "archived",
    "note",
    "tags",
    "strategies",
    "backbones",
)


def catalog() -> pd.DataFrame:
    """Every experiment, newest first, with what the picker filters on (CATALOG_COLUMNS); tags,
    strategies and backbones are sorted tuples. Re-read whenever `service.experiments` shows
    an experiment more or a status changed (a launch or a cancel clears it at once)."""
    experiments = service.experiments()
    return _catalog(tuple(zip(experiments["id"], experiments["status"], strict=True)))


@st.cache_data(ttl=service.LIST_TTL_S, max_entries=4, show_spinner=False)
def _catalog(marker: tuple[tuple[int, str], ...]) -> pd.DataFrame:
    with read_scope(service.engine()) as session:
        tags = tags_by_experiment(session)
        labels = run_labels_by_experiment(session)
        records = [
            {
                "id": e.id,
                "name": e.name,
                "protocol": e.protocol,
                "status": str(e.status.value),
                "created_at": e.created_at,
                "archived": e.archived_at is not None,
                "note": e.note or "",
                "tags": tags.get(e.id, ()),
                "strategies": labels[e.id].strategies if e.id in labels else (),
                "backbones": labels[e.id].backbones if e.id in labels else (),
            }
            for e in list_experiments(session)
        ]
    return pd.DataFrame.from_records(records, columns=list(CATALOG_COLUMNS))


@st.cache_data(ttl=service.LIVE_TTL_S, show_spinner=False)
def plan_progress(experiment_id: int) -> ExperimentProgress | None:
    """The experiment's tasks as planned at launch and how far they are (None: no plan queued)."""
    with read_scope(service.engine()) as session:
        return experiment_progress(session, experiment_id)


@st.cache_data(ttl=service.LIST_TTL_S, show_spinner=False)
def planned_updates(experiment_id: int) -> int | None:
    """Updates each run of the experiment makes: its protocol's steps at its update periods
    (the quick preset updates at two periods, not at every one); None for an unreadable config."""
    with read_scope(service.engine()) as session:
        experiment = get_experiment(session, experiment_id)
        stored = None if experiment is None else experiment.config
    try:
        return len(experiment_steps(ExperimentConfig.from_dict(stored or {})))
    except (LsatError, KeyError, TypeError, ValueError):
        return None


def single_model_llm_strategies() -> tuple[str, ...]:
    """LLM strategies whose served test scoring scores one model (`measured_rates`)."""
    return tuple(
        name for name, s in STRATEGIES.items() if s.family == LORA and s.test_scorings == 1
    )


@st.cache_data(ttl=service.LIST_TTL_S, show_spinner=False)
def measured_local_rates(backbone: str) -> work_estimate.Rates | None:
    """The rates `backbone` (its name or path) measured on this kind of device (this machine's:
    a GPU, else the CPU) in the store's work, as the launch estimate's rates; None until it has
    scored and trained a LoRA there."""
    device = "cuda" if work_estimate.local_rates() == work_estimate.GPU_RATES else "cpu"
    with read_scope(service.engine()) as session:
        rates = measured_rates(
            session,
            backbone=backbone,
            device=device,
            single_model_llm_strategies=single_model_llm_strategies(),
        )
    if rates is None:
        return None
    return work_estimate.Rates(
        f"this machine ({device}, measured with {backbone})",
        rates.prompts_per_second,
        rates.samples_trained_per_second,
        f"measured here: {rates.scorings} test scorings and {rates.trainings} LoRA trainings "
        "in the store, the trainings' validations included",
    )


def _forget() -> None:
    _catalog.clear()
    service.forget_live_rows()


def save_labels(experiment_id: int, tags: Iterable[str], note: str) -> None:
    """Make these the experiment's tags and note. Raises `auth.NotAllowed` or an InputError."""
    auth.require_change(service.settings())
    with session_scope(service.engine()) as session:
        set_tags(session, experiment_id, tags)
        set_note(session, experiment_id, note)
    _forget()


def archive(experiment_id: int, archived: bool) -> None:
    auth.require_change(service.settings())
    with session_scope(service.engine()) as session:
        set_archived(session, experiment_id, archived)
    _forget()


def delete(experiment_id: int) -> Deletion:
    """Delete a finished experiment and what only it uses, model folders included."""
    auth.require_change(service.settings())
    with session_scope(service.engine()) as session:
        deletion = delete_experiment(session, experiment_id)
    remove_model_folders(deletion.model_folders, service.settings().artifacts_dir)
    _forget()
    return deletion
