"""What a running task tells the store: events, live progress with an ETA, and whether to stop.

Progress arrives from the engine as `progress(what, done, total)` (the Workbench callback),
once per optimizer step; it is written at most every `interval` seconds (plus the first and the
last step), so a fast loop does not turn into a stream of transactions. The same throttled
moment checks whether the runs the task works for are still wanted: cancelling them in the
store stops the task at its next progress report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from lsat_core.store.engine import session_scope
from lsat_core.store.events import record_event, update_progress
from lsat_core.store.lifecycle import active_run_ids
from lsat_core.store.models import EventKind

PROGRESS_INTERVAL_SECONDS = 2.0


class TaskCancelled(Exception):
    """Every run the task works for was cancelled (or finished) meanwhile."""


def eta_seconds(elapsed: float, steps_timed: int, steps_left: int) -> float | None:
    """Seconds left at the speed of the steps timed; None until a step has been timed.

    Timing starts at a task's first report, not before it: the step that report closes began
    before the reporter saw anything, so counting it in no time made the first ETA read 0 s
    (half-way through a two-step training)."""
    if steps_left <= 0:
        return 0.0
    if steps_timed <= 0:
        return None
    return elapsed / steps_timed * steps_left


@dataclass(eq=False)
class TaskReporter:
    engine: Engine
    task_key: str
    """The Celery task id: events and the progress row of one task share it."""
    experiment_id: int
    run_ids: tuple[int, ...]
    """The runs this task works for; when none is active any more, the task stops."""
    run_id: int | None = None
    """The one run the task belongs to, if any (a shared model belongs to several)."""
    interval: float = PROGRESS_INTERVAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _last_write: float | None = field(default=None, init=False)
    _origins: dict[str, tuple[float, int]] = field(default_factory=dict, init=False)
    """Per `what`: the time and step of its first report, from which its speed is measured."""

    def event(self, message: str, kind: EventKind = EventKind.INFO) -> None:
        with session_scope(self.engine) as session:
            record_event(
                session,
                message,
                kind=kind,
                run_id=self.run_id,
                experiment_id=self.experiment_id,
                task_key=self.task_key,
            )

    def still_wanted(self) -> bool:
        with session_scope(self.engine) as session:
            return bool(active_run_ids(session, self.run_ids))

    def check_wanted(self) -> None:
        if not self.still_wanted():
            raise TaskCancelled(f"task {self.task_key}: its runs are no longer active")

    def __call__(self, what: str, done: int, total: int) -> None:
        now = self.clock()
        since, first_step = self._origins.setdefault(what, (now, done))
        due = self._last_write is None or now - self._last_write >= self.interval
        if not (due or done >= total):
            return
        self._last_write = now
        eta = eta_seconds(now - since, done - first_step, total - done)
        with session_scope(self.engine) as session:
            update_progress(
                session,
                self.task_key,
                done,
                total,
                eta_seconds=eta,
                message=what,
                run_id=self.run_id,
                experiment_id=self.experiment_id,
            )
            wanted = bool(active_run_ids(session, self.run_ids))
        if not wanted:
            raise TaskCancelled(f"task {self.task_key}: its runs are no longer active")
