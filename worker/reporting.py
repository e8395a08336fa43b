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
    _started: dict[str, float] = field(default_factory=dict, init=False)

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
        started = self._started.setdefault(what, now)
        due = self._last_write is None or now - self._last_write >= self.interval
        if not (due or done >= total):
            return
        self._last_write = now
        elapsed = now - started
        eta = elapsed / done * (total - done) if done > 0 else None
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
