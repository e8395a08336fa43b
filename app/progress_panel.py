"""The run monitor's progress: the experiment's own, from its work plan, then each running task's.

The experiment's line counts the tasks the launch queued (models to train, evaluations) and the
time left from the durations its finished tasks took on this machine
(`lsat_core.store.experiment_progress`). Below it, every running task: its own steps and ETA when
it reports them (training), else its time so far against the measured duration of its kind
(an evaluation scores in one piece), so no running task is left out.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from app.widgets import format_seconds
from lsat_core.store.experiment_progress import EVALUATE, TRAIN, ExperimentProgress, TaskState

MAX_PROGRESS_BARS = 12
"""Tasks shown as bars; the rest are counted (a 200-run experiment must stay readable)."""
STALE_REPORT_S = 30.0
"""A task's last report older than this is shown with its age."""


def reporting_tasks(progress: pd.DataFrame, plan: ExperimentProgress | None = None) -> pd.DataFrame:
    """Tasks whose last report is not their last step (or has no total) and that the event log
    does not show ended: a training that stops early never reports its last step."""
    ongoing = progress[progress["total"].isna() | (progress["step"] < progress["total"])]
    if plan is not None:
        ended = {t.task_key for t in plan.tasks if t.ended_at is not None or t.failed}
        ongoing = ongoing[~ongoing["task_key"].isin(ended)]
    return ongoing


def own_etas(progress: pd.DataFrame, plan: ExperimentProgress | None = None) -> dict[str, float]:
    """Task key -> the ETA its last progress report gave, where it gave one."""
    ongoing = reporting_tasks(progress, plan)
    known = ongoing[ongoing["eta_seconds"].notna()]
    return dict(zip(known["task_key"], known["eta_seconds"].astype(float), strict=True))


def plan_summary(plan: ExperimentProgress, progress: pd.DataFrame, now: datetime) -> None:
    """Tasks, models and evaluations done of planned, the time left, and where its figures are
    measured."""
    done, total = plan.count(ended=True), plan.count()
    left = plan.seconds_left(now, own_etas(progress, plan))
    columns = st.columns(4)
    columns[0].metric("Tasks done", f"{done} of {total}")
    columns[1].metric("Models trained", f"{plan.count(TRAIN, ended=True)} of {plan.count(TRAIN)}")
    columns[2].metric(
        "Evaluations", f"{plan.count(EVALUATE, ended=True)} of {plan.count(EVALUATE)}"
    )
    columns[3].metric("Time left", _time_left(left, done, total))
    st.progress(done / total if total else 0.0, text=f"experiment · {done}/{total} tasks")
    groups = sorted({task.group for task in plan.tasks})
    measured = "; ".join(
        f"{group} {format_seconds(plan.expected_seconds[group])} ({plan.measured_in[group]})"
        if group in plan.expected_seconds
        else f"{group} not measured yet"
        for group in groups
    )
    st.caption(
        f"Time left from each kind of task's measured duration (median) on this machine: "
        f"{measured}; with {max(len(plan.running), 1)} task(s) at once, as now."
    )


def _time_left(seconds: float | None, done: int, total: int) -> str:
    if done == total:
        return "0 s"
    if seconds is None:
        return "?"
    if seconds < 1:
        return "finishing"  # every task left has run past its measured duration
    return format_seconds(seconds)


def task_bars(plan: ExperimentProgress | None, progress: pd.DataFrame, now: datetime) -> None:
    """One bar per running task: reported steps, else time so far of the measured duration."""
    ongoing = reporting_tasks(progress, plan)
    bars = [_reported_bar(task, now) for task in ongoing.itertuples()]
    reporting = set(ongoing["task_key"])
    if plan is not None:
        bars += [
            _timed_bar(task, plan, now) for task in plan.running if task.task_key not in reporting
        ]
    if not bars:
        st.caption("No task is running.")
        return
    for fraction, text in bars[:MAX_PROGRESS_BARS]:
        st.progress(fraction, text=text)
    if len(bars) > MAX_PROGRESS_BARS:
        st.caption(f"and {len(bars) - MAX_PROGRESS_BARS} more tasks in progress")


def _reported_bar(task, now: datetime) -> tuple[float, str]:
    total = None if pd.isna(task.total) else int(task.total)
    fraction = min(task.step / total, 1.0) if total else 0.0
    text = (
        f"{task.task_key} · {task.step:,}/{total:,}"
        if total
        else f"{task.task_key} · {task.step:,}"
    )
    if task.message:
        text += f" · {task.message}"
    eta = task.eta_seconds
    text += " · ETA " + ("after the next step" if pd.isna(eta) else format_seconds(eta))
    # A step can take minutes (a validation, a loaded CPU): say how old the figure is rather
    # than count it down to a 0 s that would be wrong.
    age = (now - pd.Timestamp(task.updated_at).to_pydatetime()).total_seconds()
    if age >= STALE_REPORT_S:
        text += f" (reported {format_seconds(age)} ago)"
    return fraction, text


def _timed_bar(task: TaskState, plan: ExperimentProgress, now: datetime) -> tuple[float, str]:
    assert task.started_at is not None  # running
    elapsed = (now - task.started_at).total_seconds()
    expected = plan.expected_seconds.get(task.group)
    text = f"{task.task_key} · {task.what} · running {format_seconds(elapsed)}"
    if expected is None:
        return 0.0, text + " · its kind is not measured yet"
    # Capped below 1: a task past its measured duration is still running.
    fraction = min(elapsed / expected, 0.99) if expected > 0 else 0.99
    return fraction, text + f" of about {format_seconds(expected)} measured"
