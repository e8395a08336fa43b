"""An experiment's own progress from its work plan: tasks done of planned, and the time left.

The plan is what the launch sent: one "queued on <queue>: <what>"
event per task, under the task's id (`worker.jobs.launch`). Each task then logs "started ..."
and "finished ..." (or "skipped ...", when no run wants it any more) under the same id, and an
error event when it fails, so the event log holds every task's state and its measured duration
(the texts: `task_event_texts`).

Time left: each task not finished yet is expected to take as long as the finished tasks of its
group took (a group: training one family's models, or evaluating one strategy; the median),
measured in this experiment when it has finished one, else in the other experiments of this
store, i.e. on this machine, else as the tasks of its kind (training, evaluation) here or there;
a running task's elapsed time is taken off its expectation, and the sum is divided by the tasks
running at once now (the workers' parallelism). The figure is unknown while a task's kind still
has no measurement anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lsat_core.store import task_event_texts as texts
from lsat_core.store.models import Event, EventKind

TRAIN = "train"
EVALUATE = "evaluate"
HISTORY_TASKS = 200
"""Finished tasks of a group kept from other experiments (the newest): enough for a median."""
HISTORY_EVENTS = 20_000
"""Task events read from other experiments (the newest), so a long-lived store stays quick."""


@dataclass(frozen=True)
class TaskState:
    task_key: str
    kind: str
    """"train" or "evaluate"."""
    what: str
    """e.g. "train lora:short@3", "evaluate lsat_en at t=3"."""
    started_at: datetime | None
    ended_at: datetime | None
    failed: bool
    reused: bool = False
    """It found its model already trained."""

    @property
    def group(self) -> str:
        """Tasks expected to take alike: training one family (`lora:short@3` -> `lora`),
        evaluating one strategy."""
        return group_of(self.what)

    @property
    def seconds(self) -> float | None:
        """How long it took, when it did its work (not when it found the work done)."""
        if self.started_at is None or self.ended_at is None or self.reused:
            return None
        return (self.ended_at - self.started_at).total_seconds()


def group_of(what: str) -> str:
    kind, _, rest = what.partition(" ")
    subject = rest.split(" ", 1)[0]
    return f"{kind} {subject.split(':', 1)[0]}"


@dataclass(frozen=True)
class ExperimentProgress:
    tasks: tuple[TaskState, ...]
    """Every planned task, in the order it was queued."""
    expected_seconds: Mapping[str, float]
    """Measured duration of a task per group (median), where one was measured."""
    measured_in: Mapping[str, str]
    """Per group: "this experiment" or "this store" (where its duration was measured)."""

    def count(self, kind: str | None = None, *, ended: bool = False) -> int:
        return sum(
            (kind is None or t.kind == kind) and (not ended or t.ended_at is not None or t.failed)
            for t in self.tasks
        )

    @property
    def running(self) -> tuple[TaskState, ...]:
        return tuple(
            t
            for t in self.tasks
            if t.started_at is not None and t.ended_at is None and not t.failed
        )

    def seconds_left(
        self, now: datetime, task_etas: Mapping[str, float] | None = None
    ) -> float | None:
        """Expected wall seconds until every task has ended; None while a group is unmeasured.
        `task_etas` are running tasks' own ETAs from their progress reports (by task key): they
        replace the group's expectation for those tasks."""
        task_etas = task_etas or {}
        left = 0.0
        for task in self.tasks:
            if task.ended_at is not None or task.failed:
                continue
            if task.started_at is not None and task.task_key in task_etas:
                left += task_etas[task.task_key]
                continue
            expected = self.expected_seconds.get(task.group)
            if expected is None:
                return None
            elapsed = 0.0 if task.started_at is None else (now - task.started_at).total_seconds()
            left += max(expected - elapsed, 0.0)
        return left / max(len(self.running), 1)


def _task_states(events: Iterable[Event]) -> list[TaskState]:
    queued: dict[str, tuple[str, str]] = {}
    started: dict[str, datetime] = {}
    ended: dict[str, datetime] = {}
    failed: set[str] = set()
    reused: set[str] = set()
    for event in events:
        key, message = event.task_key, event.message
        if key is None:
            continue
        what = texts.queued_what(message)
        if what is not None:
            queued.setdefault(key, (what.partition(" ")[0], what))
        elif texts.is_started(message):
            started.setdefault(key, event.created_at)
        elif texts.is_ended(message):
            ended[key] = event.created_at
            # Done, but its duration measures no training (another task trained the model).
            if texts.is_reused(message):
                reused.add(key)
        elif event.kind == EventKind.ERROR:
            failed.add(key)
    return [
        TaskState(key, kind, what, started.get(key), ended.get(key), key in failed, key in reused)
        for key, (kind, what) in queued.items()
    ]


def _task_events() -> Select[Event]:
    return select(Event).where(
        Event.task_key.is_not(None), Event.kind.in_([EventKind.INFO, EventKind.ERROR])
    )


def _store_durations(session: Session, experiment_id: int) -> dict[str, list[float]]:
    """Durations of the finished tasks of the store's other experiments, per group (newest)."""
    newest = (
        _task_events()
        .where(Event.experiment_id != experiment_id)
        .order_by(Event.id.desc())
        .limit(HISTORY_EVENTS)
    )
    by_experiment: dict[int | None, list[Event]] = {}
    for event in reversed(list(session.scalars(newest))):
        by_experiment.setdefault(event.experiment_id, []).append(event)
    durations: dict[str, list[float]] = {}
    for events in by_experiment.values():
        for task in _task_states(events):
            if task.seconds is not None and not task.failed:
                durations.setdefault(task.group, []).append(task.seconds)
    return {group: seconds[-HISTORY_TASKS:] for group, seconds in durations.items()}


def experiment_progress(session: Session, experiment_id: int) -> ExperimentProgress | None:
    """The experiment's planned tasks and their expected durations; None when nothing was
    queued (an experiment run in one process by `lsat run`, or not launched yet)."""
    own_events = _task_events().where(Event.experiment_id == experiment_id).order_by(Event.id)
    tasks = _task_states(session.scalars(own_events))
    if not tasks:
        return None
    own: dict[str, list[float]] = {}
    for task in tasks:
        if task.seconds is not None and not task.failed:
            own.setdefault(task.group, []).append(task.seconds)
    missing = {task.group for task in tasks} - set(own)
    history = _store_durations(session, experiment_id) if missing else {}
    expected = {group: median(seconds) for group, seconds in own.items()}
    measured_in = dict.fromkeys(own, "this experiment")
    for group in sorted(missing):
        # The same group in the store's other experiments, else the same kind of task (any
        # training, any evaluation) here, else there.
        kind = group.split(" ", 1)[0]
        for durations, where in (
            (history.get(group), "this store"),
            (_of_kind(own, kind), f"this experiment's {kind} tasks"),
            (_of_kind(history, kind), f"this store's {kind} tasks"),
        ):
            if durations:
                expected[group] = median(durations)
                measured_in[group] = where
                break
    return ExperimentProgress(tuple(tasks), expected, measured_in)


def _of_kind(durations: Mapping[str, list[float]], kind: str) -> list[float]:
    return [
        s for group, seconds in durations.items() if group.startswith(f"{kind} ") for s in seconds
    ]
