"""Run monitor: an experiment's runs, their progress and results, live while workers write them.

While the experiment is pending or running, two fragments re-read the store so that nobody
reloads the page: the status, runs and progress every LIVE_REFRESH_S, the charts, tables and
events every RESULTS_REFRESH_S. Once the experiment has finished, the page reruns once and stops
polling.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from app import (
    analysis,
    auth,
    charts,
    experiment_records,
    learning_curves_panel,
    progress_panel,
    service,
)
from app.confirm_step import confirmation_armed, keep_button
from app.experiment_labels_panel import labels_panel
from app.experiment_picker import ChosenExperiment, choose_experiment
from app.run_backbones import run_backbones
from app.widgets import chart_with_csv, csv_download, format_seconds, latex_download, select_id
from lsat_core.store.models import RunStatus

# Module-level strings would be drawn on the page (Streamlit's "magic"): notes are comments here.
# Longer than service.LIVE_TTL_S, so that each refresh reads fresh rows. On a 2-core CPU every
# refresh is CPU taken from the worker (a load of 0.18 cores slowed scoring by 9-16%,
# bench/contention.py): the status refreshes every 5 s (a LoRA step there takes several
# seconds), the charts, tables and events every minute (they change once per validation or
# evaluation). Against 3 s and 15 s, watching the quick preset's store went from 0.121 to 0.071
# cores (bench/monitor_cost.py).
LIVE_REFRESH_S = 5.0
RESULTS_REFRESH_S = 60.0
# The experiment whose cancellation waits for a confirmation, and the outcome of the last one.
CONFIRM_CANCEL_KEY = "monitor_confirm_cancel"
CANCELLED_KEY = "monitor_cancelled"


def _header(experiment: pd.Series, *, cancel_announced: bool) -> None:
    started = experiment["started_at"]
    finished = experiment["finished_at"]
    if pd.isna(started):
        elapsed = "not started"
    else:
        end = finished if pd.notna(finished) else pd.Timestamp.now(tz="UTC")
        elapsed = format_seconds((end - started).total_seconds())
    columns = st.columns(3)
    columns[0].metric("Status", experiment["status"])
    columns[1].metric("Protocol", experiment["protocol"])
    columns[2].metric("Elapsed", elapsed)
    # A cancellation is the user's own doing: one notice (none when the cancel's own message
    # is on the page), not an error.
    if experiment["status"] == RunStatus.CANCELLED:
        if not cancel_announced:
            st.info(f"Experiment cancelled: {experiment['error']}; results stored before are kept.")
    elif experiment["error"]:
        st.error(f"Experiment {experiment['status']}: {experiment['error']}")


def _cancel_control(experiment_id: int) -> None:
    """A Cancel button for an experiment still pending or running, that asks before it acts."""
    if not confirmation_armed(
        st,
        CONFIRM_CANCEL_KEY,
        experiment_id,
        "Cancel experiment",
        key="cancel_experiment",
        icon=":material/cancel:",
    ):
        return
    st.warning(
        f"Cancel experiment #{experiment_id}? Its runs stop at their next progress report and "
        "its queued work is dropped; results stored so far are kept. This cannot be undone."
    )
    yes, no = st.columns(2, width=400)
    yes.button(
        "Yes, cancel it",
        type="primary",
        key="cancel_confirm",
        on_click=_cancel,
        args=(experiment_id,),
    )
    keep_button(no, CONFIRM_CANCEL_KEY, key="cancel_abort")


def _cancel(experiment_id: int) -> None:
    outcome = service.cancel_experiment(experiment_id)
    st.session_state.pop(CONFIRM_CANCEL_KEY, None)
    revoked = (
        "the broker could not be reached to drop its queued tasks"
        if outcome.revoked is None
        else f"{outcome.revoked} queued tasks dropped"
    )
    st.session_state[CANCELLED_KEY] = (
        f"Experiment #{experiment_id} cancelled: {len(outcome.runs)} runs stopped, {revoked}."
    )


def _runs_section(runs: pd.DataFrame, results: pd.DataFrame, planned: int | None) -> None:
    """The runs with their status and how many updates have results."""
    done = analysis.updates_done(results)
    table = runs.assign(
        backbone=run_backbones(runs),
        updates=runs["id"].map(done).fillna(0).astype(int),
        duration=_durations(runs).map(format_seconds),
    )
    st.dataframe(
        table,
        hide_index=True,
        column_order=(
            "id",
            "name",
            "strategy",
            "backbone",
            "seed",
            "status",
            "updates",
            "duration",
            "device",
            "started_at",
            "finished_at",
            "error",
        ),
        column_config={
            "id": st.column_config.NumberColumn("Run", format="%d"),
            "updates": st.column_config.ProgressColumn(
                f"Updates of {planned}" if planned else "Updates",
                min_value=0,
                max_value=planned or max([*table["updates"], 1]),
                format="%d",
            ),
        },
        key="runs_table",
    )
    # Cancelled runs carry the cancellation as their error: the header says it once.
    for run in runs[runs["status"] == RunStatus.FAILED].itertuples():
        st.error(f"Run #{run.id} {run.name} ({run.status}): {run.error}")


def _durations(runs: pd.DataFrame) -> pd.Series:
    """Seconds each run has taken so far (NaN before it starts)."""
    # As datetimes with NaT: the columns are plain objects while no run has started. In
    # microseconds, as now() is: a column of None alone would become seconds, which pandas 3
    # refuses to fill with now() (a Pandas4Warning on every refresh of a just-launched run).
    started = pd.to_datetime(runs["started_at"], utc=True).dt.as_unit("us")
    finished = pd.to_datetime(runs["finished_at"], utc=True).dt.as_unit("us")
    finished = finished.fillna(pd.Timestamp.now(tz="UTC"))
    return (finished - started).dt.total_seconds()


def _progress_section(experiment_id: int, *, ended: bool) -> None:
    """The experiment's own progress from its work plan, then each running task's (none once
    the experiment has ended: an in-process run that failed leaves its last reports behind)."""
    progress = service.progress(experiment_id)
    plan = experiment_records.plan_progress(experiment_id)
    now = datetime.now(UTC)
    if plan is not None:
        progress_panel.plan_summary(plan, progress, now)
    if ended:
        st.caption("No task is running.")
    else:
        progress_panel.task_bars(plan, progress, now)


def _results_section(results: pd.DataFrame, experiment: ChosenExperiment) -> None:
    rows = analysis.model_rows(results)
    if rows.empty:
        st.caption("No result yet.")
        return
    axis = analysis.period_axis(experiment.protocol)
    data = rows[["label", "strategy", axis.column, "auc", "ci_low", "ci_high", "n"]]
    chart = charts.auc_lines(
        data,
        period_column=axis.column,
        period_title=axis.title,
        num_periods=experiment.num_periods,
    )
    chart_with_csv(chart, data, f"experiment_{experiment.id}_auc")
    table = analysis.auc_table(results, axis)
    st.dataframe(
        table,
        column_config={
            name: st.column_config.NumberColumn(format="%.4f") for name in table.columns
        },
    )
    with st.container(horizontal=True):
        csv_download(table.reset_index(), f"experiment_{experiment.id}_auc_table")
        latex_download(table, f"experiment_{experiment.id}_auc_table", caption=experiment.name)


def _events_section(experiment_id: int, runs: pd.DataFrame) -> None:
    run_id = select_id(
        "Events of",
        {None: "all runs"} | {run.id: f"#{run.id} {run.name}" for run in runs.itertuples()},
        "run",
    )
    events = service.events(experiment_id, run_id)
    if events.empty:
        st.caption("No event yet.")
        return
    counts = events["kind"].value_counts()
    st.caption(
        f"{len(events)} newest events: {counts.get('error', 0)} errors, "
        f"{counts.get('warning', 0)} warnings"
    )
    st.dataframe(events, hide_index=True, key="events_table")


st.header("Run monitor")
chosen = choose_experiment()
if chosen is None:
    st.stop()
# The experiment's own row (short time to live), so that the page and the panel agree on it.
current = service.experiment(chosen.id)
if current is None:
    st.warning(f"Experiment #{chosen.id} is no longer in the store.")
    st.stop()
live = current["status"] not in service.FINISHED
# One container whatever it holds: the live panel keeps its place on the page when the
# experiment ends and the cancel control goes (otherwise the browser briefly shows the old
# panel and the new one together).
with st.container():
    cancelled_now = st.session_state.pop(CANCELLED_KEY, None)
    if cancelled_now is not None:
        st.success(cancelled_now)
    may_change = auth.may_change(service.settings())
    labels_panel(chosen, experiment_records.catalog(), may_change=may_change)
    if live and may_change:
        _cancel_control(chosen.id)
    elif live:
        st.caption(f"Read-only here: `lsat cancel {chosen.id}` on the server cancels it.")


@st.fragment(run_every=LIVE_REFRESH_S if live else None)
def live_status() -> None:
    experiment = service.experiment(chosen.id)
    if live and experiment["status"] in service.FINISHED:
        # The experiment ended: rerun the page once, without the timer, and with the chooser's
        # list of experiments re-read (it would show the old status for its time to live).
        service.forget_live_rows()
        st.rerun(scope="app")
    _header(experiment, cancel_announced=cancelled_now is not None)
    runs = service.experiment_runs(chosen.id)
    results = analysis.with_run_labels(service.experiment_results(chosen.id))
    st.subheader("Runs")
    # The updates its config plans (its update periods), else every step of the protocol.
    planned = experiment_records.planned_updates(chosen.id) or analysis.planned_updates(
        chosen.protocol, chosen.num_periods
    )
    _runs_section(runs, results, planned)
    st.subheader("Progress")
    _progress_section(chosen.id, ended=experiment["status"] in service.FINISHED)


@st.fragment(run_every=RESULTS_REFRESH_S if live else None)
def live_results() -> None:
    if live:
        st.caption(
            f"While the experiment runs, the status above refreshes every "
            f"{LIVE_REFRESH_S:.0f} s and what follows every {RESULTS_REFRESH_S:.0f} s."
        )
    st.subheader("Learning curves")
    learning_curves_panel.monitor_section(chosen.id)
    st.subheader("AUC per period")
    _results_section(analysis.with_run_labels(service.experiment_results(chosen.id)), chosen)
    st.subheader("Events")
    _events_section(chosen.id, service.experiment_runs(chosen.id))


live_status()
live_results()
