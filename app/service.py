"""What the pages read (the run store as cached DataFrames) and the two things they send
(experiments to launch and to cancel, through the worker package's queue client, only for a
session that `app.auth` lets change things).

The one place of the app that reads the environment (`Settings.from_env`, once per process) and
opens the store (one engine, migrated on first use: the dashboard may be the first process to
meet a new database). Every query opens a short session and returns a DataFrame, so cached values
are plain data that Streamlit can pickle and hand to many sessions.

Time to live: runs, progress and events change while workers run, so they live a couple of
seconds (the live panels refresh a little slower than that); results are many rows, so they are
keyed by a cheap marker of their last change (read as often as the runs) and re-read only when
it moves; the lists of streams and experiments grow rarely; a stream's statistics never change
(streams are keyed by content).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from app import auth, store_reads
from app.work_estimate import PeriodSize
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, read_scope
from lsat_core.store.learning_curves import curves_frame as learning_curves_frame
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import RunStatus
from lsat_core.store.queries import (
    get_experiment,
    latest_events,
    list_experiments,
    list_progress,
    list_runs,
    results_frame,
)
from worker import queue_client

LIVE_TTL_S = 2.0
"""Results, runs, progress, events: rows that workers are writing now."""
LIST_TTL_S = 10.0
"""The lists of experiments and streams."""
STATIC_TTL_S = 600.0
"""A stream's statistics and results at a given marker: they never change."""
RESULT_CACHE_ENTRIES = 16
"""Result frames kept (a superseded marker's frame is dropped first)."""

EXPERIMENT_COLUMNS = (
    "id",
    "name",
    "protocol",
    "status",
    "error",
    "created_at",
    "started_at",
    "finished_at",
)
RUN_COLUMNS = (
    "id",
    "name",
    "strategy",
    "backbone",
    "protocol",
    "seed",
    "status",
    "error",
    "device",
    "stream_id",
    "created_at",
    "started_at",
    "finished_at",
)
STREAM_COLUMNS = ("id", "dataset", "key", "num_periods", "created_at")
PROGRESS_COLUMNS = (
    "task_key",
    "run_id",
    "step",
    "total",
    "eta_seconds",
    "message",
    "started_at",
    "updated_at",
)
EVENT_COLUMNS = ("id", "created_at", "kind", "message", "run_id", "task_key", "step", "total")
_OPTIONAL_IDS = {"run_id": "Int64", "step": "Int64", "total": "Int64"}
"""Nullable integers stay integers (pandas would make them floats)."""
FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)
"""Statuses after which nothing more is written to a run or an experiment."""


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner=False)
def _engine(database_url: str) -> Engine:
    upgrade(database_url)
    return make_engine(database_url)


def engine() -> Engine:
    return _engine(settings().database_url)


def _frame(rows: Iterable[object], columns: Sequence[str]) -> pd.DataFrame:
    """ORM rows as a DataFrame of `columns`; string enums become their plain values."""
    records = [{name: _plain(getattr(row, name)) for name in columns} for row in rows]
    return pd.DataFrame.from_records(records, columns=list(columns))


def _plain(value: object) -> object:
    return value.value if isinstance(value, enum.Enum) else value


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def experiments() -> pd.DataFrame:
    """Every experiment, newest first (EXPERIMENT_COLUMNS)."""
    with read_scope(engine()) as session:
        return _frame(list_experiments(session), EXPERIMENT_COLUMNS)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def experiment(experiment_id: int) -> pd.Series | None:
    """One experiment's row with its current status, or None when there is no such experiment."""
    with read_scope(engine()) as session:
        row = get_experiment(session, experiment_id)
        return None if row is None else _frame([row], EXPERIMENT_COLUMNS).iloc[0]


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def stored_config(experiment_id: int) -> dict | None:
    """The config an experiment was launched with (`ExperimentConfig.to_dict()`), or None."""
    with read_scope(engine()) as session:
        row = get_experiment(session, experiment_id)
        return None if row is None else dict(row.config)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def experiment_runs(experiment_id: int) -> pd.DataFrame:
    """The experiment's runs, oldest first (RUN_COLUMNS)."""
    with read_scope(engine()) as session:
        return _frame(list_runs(session, experiment_id), RUN_COLUMNS)


def experiment_results(experiment_id: int) -> pd.DataFrame:
    """Every period result of the experiment's runs, without the validation curves; re-read
    only when a result changed."""
    return _experiment_results(experiment_id, _experiment_marker(experiment_id))


def experiment_curves(experiment_id: int) -> pd.DataFrame:
    """The validation curves of the experiment's runs (`app.store_reads.CURVE_COLUMNS`)."""
    return _experiment_curves(experiment_id, _experiment_marker(experiment_id))


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _experiment_marker(experiment_id: int) -> tuple[int, str]:
    with read_scope(engine()) as session:
        return store_reads.results_marker(session, store_reads.experiment_run_ids(experiment_id))


@st.cache_data(ttl=STATIC_TTL_S, max_entries=RESULT_CACHE_ENTRIES, show_spinner=False)
def _experiment_results(experiment_id: int, marker: tuple[int, str]) -> pd.DataFrame:
    with read_scope(engine()) as session:
        run_ids = list(session.scalars(store_reads.experiment_run_ids(experiment_id)))
        return results_frame(session, run_ids, include_curves=False)


@st.cache_data(ttl=STATIC_TTL_S, max_entries=RESULT_CACHE_ENTRIES, show_spinner=False)
def _experiment_curves(experiment_id: int, marker: tuple[int, str]) -> pd.DataFrame:
    with read_scope(engine()) as session:
        run_ids = list(session.scalars(store_reads.experiment_run_ids(experiment_id)))
        return store_reads.curves_frame(session, run_ids)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def learning_curves(experiment_ids: tuple[int, ...]) -> pd.DataFrame:
    """The learning curves of the models the experiments trained, one row per point
    (`lsat_core.store.learning_curves.CURVE_COLUMNS`); live, as models report while training."""
    with read_scope(engine()) as session:
        return learning_curves_frame(session, experiment_ids=experiment_ids)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def experiment_streams(experiment_id: int) -> pd.DataFrame:
    """The streams the experiment's runs replay (STREAM_COLUMNS)."""
    with read_scope(engine()) as session:
        return _frame(store_reads.streams_of_experiment(session, experiment_id), STREAM_COLUMNS)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def streams() -> pd.DataFrame:
    """Every stored stream, newest first (STREAM_COLUMNS)."""
    with read_scope(engine()) as session:
        return _frame(store_reads.list_streams(session), STREAM_COLUMNS)


@st.cache_data(ttl=STATIC_TTL_S, show_spinner=False)
def stream_stats(stream_id: int) -> pd.DataFrame:
    """The stream's per-period statistics (`lsat_core.data.stats.period_stats`), by period."""
    with read_scope(engine()) as session:
        stream = store_reads.get_stream(session, stream_id)
        if stream is None:
            return pd.DataFrame()
        return pd.DataFrame.from_records(stream.period_stats).sort_values(
            "period", ignore_index=True
        )


def finished_stream_results(stream_id: int) -> pd.DataFrame:
    """Period results of the runs over this stream that succeeded (without curves)."""
    return _finished_stream_results(stream_id, _finished_stream_marker(stream_id))


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def _finished_stream_marker(stream_id: int) -> tuple[int, str]:
    with read_scope(engine()) as session:
        return store_reads.results_marker(session, store_reads.finished_stream_run_ids(stream_id))


@st.cache_data(ttl=STATIC_TTL_S, max_entries=RESULT_CACHE_ENTRIES, show_spinner=False)
def _finished_stream_results(stream_id: int, marker: tuple[int, str]) -> pd.DataFrame:
    with read_scope(engine()) as session:
        run_ids = list(session.scalars(store_reads.finished_stream_run_ids(stream_id)))
        return results_frame(session, run_ids, include_curves=False)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def progress(experiment_id: int) -> pd.DataFrame:
    """Latest progress of every task of the experiment, most recent first (PROGRESS_COLUMNS)."""
    with read_scope(engine()) as session:
        rows = list_progress(session, experiment_id=experiment_id)
        return _frame(rows, PROGRESS_COLUMNS).astype(_OPTIONAL_IDS)


@st.cache_data(ttl=LIVE_TTL_S, show_spinner=False)
def events(experiment_id: int, run_id: int | None = None, limit: int = 200) -> pd.DataFrame:
    """The newest events of the experiment (or of one of its runs), newest first."""
    with read_scope(engine()) as session:
        rows = latest_events(session, experiment_id=experiment_id, run_id=run_id, limit=limit)
        return _frame(rows, EVENT_COLUMNS).astype(_OPTIONAL_IDS)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def stream_sizes(dataset: str, stream_config: dict) -> dict[int, PeriodSize] | None:
    """Samples per period of the stored stream of `dataset` cut by `stream_config` (its
    `config_to_dict`), or None when no experiment has built that stream yet."""
    with read_scope(engine()) as session:
        stream = next(
            (
                s
                for s in store_reads.list_streams(session)
                if s.dataset == dataset and s.config == stream_config
            ),
            None,
        )
        if stream is None:
            return None
        return {
            int(row["period"]): PeriodSize(int(row["train"]), int(row["val"]), int(row["samples"]))
            for row in stream.period_stats
        }


def submit_experiment(config: dict, name: str) -> int:
    """Queue an experiment (an `ExperimentConfig.to_dict()`) for the workers; its id.
    Raises `auth.NotAllowed` when this session may not launch."""
    auth.require_change(settings())
    engine()  # migrates the store first: the dashboard may be the first to meet it
    experiment_id = queue_client.submit_experiment(settings(), config, name)
    forget_live_rows()
    return experiment_id


def cancel_experiment(experiment_id: int) -> queue_client.Cancellation:
    """Cancel the experiment's pending and running runs and drop its queued tasks.
    Raises `auth.NotAllowed` when this session may not cancel."""
    auth.require_change(settings())
    outcome = queue_client.cancel_experiment(settings(), experiment_id)
    forget_live_rows()
    return outcome


def forget_live_rows() -> None:
    """Drop the cached experiment and run rows, so the page shows a change it just made."""
    experiments.clear()
    experiment.clear()
    experiment_runs.clear()
