"""What a running task tells the store: events, live progress with an ETA, and whether to stop.

Progress arrives from the engine as `progress(what, done, total)` (the Workbench callback) and
is written when `lsat_core.store.progress_timing` says it is due, as the in-process run writes
its own. The same moment checks whether the runs the task works for are still wanted:
cancelling them in the store stops the task at its next progress report.
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
from lsat_core.store.progress_timing import PROGRESS_INTERVAL_SECONDS, ProgressTiming


class TaskCancelled(Exception):
    """Every run the task works for was cancelled (or finished) meanwhile."""


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
    _timing: ProgressTiming = field(init=False)

    def __post_init__(self) -> None:
        self._timing = ProgressTiming(self.interval, self.clock)

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
        report = self._timing.due(what, done, total)
        if report is None:
            return
        with session_scope(self.engine) as session:
            update_progress(
                session,
                self.task_key,
                done,
                total,
                eta_seconds=report.eta_seconds,
                message=what,
                run_id=self.run_id,
                experiment_id=self.experiment_id,
            )
            wanted = bool(active_run_ids(session, self.run_ids))
        if not wanted:
            raise TaskCancelled(f"task {self.task_key}: its runs are no longer active")
