"""When a running task's progress is written to the store, and the ETA it is written with.

Progress arrives as `progress(what, done, total)` (the Workbench callback), once per optimizer
step; a report is written at most every `interval` seconds (plus the first and the last step),
so a fast loop does not turn into a stream of transactions. Workers (`worker.reporting`) and the
in-process run (`lsat_core.runner.in_process_progress`) time their reports with it and write
them with `lsat_core.store.events.update_progress`, so the run monitor reads the same rows
whichever ran the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

PROGRESS_INTERVAL_SECONDS = 2.0


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


@dataclass(frozen=True)
class DueReport:
    """A report to write now."""

    eta_seconds: float | None


@dataclass(eq=False)
class ProgressTiming:
    interval: float = PROGRESS_INTERVAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _last_write: float | None = field(default=None, init=False)
    _origins: dict[str, tuple[float, int]] = field(default_factory=dict, init=False)
    """Per `what`: the time and step of its first report, from which its speed is measured."""

    def due(self, what: str, done: int, total: int) -> DueReport | None:
        """The report of this step when it is to be written, else None (written recently)."""
        now = self.clock()
        since, first_step = self._origins.setdefault(what, (now, done))
        due = self._last_write is None or now - self._last_write >= self.interval
        if not (due or done >= total):
            return None
        self._last_write = now
        return DueReport(eta_seconds(now - since, done - first_step, total - done))

    def restart(self) -> None:
        """A new task begins: its first report is written at once and its speed is timed from
        there (a later task of an ended one's name too)."""
        self._last_write = None
        self._origins.clear()
