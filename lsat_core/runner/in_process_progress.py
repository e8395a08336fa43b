"""What an in-process run (`lsat run`) tells the store while it works, as a worker's tasks do
(`worker.reporting`): a progress row per task, so the run monitor shows its trainings and how
far it is, instead of "No task is running".

A worker's task is one Celery task under its own id; in one process the work comes in sequence,
so a task here is what the workbench reports under one name (`train lora:short@2`) until it
reports another, keyed `in-process:<experiment>:<n>`. A task that ends as the next begins is
written done: a training that stops early never reports its last step, and its row would read
as still running. One more row, `in-process:<experiment>:updates`, counts the updates done (one
per run and update period, as `on_step` reports them) of those planned, with an ETA from their
pace, so the run is seen to move while it scores the tested periods too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from lsat_core.engine.families import ProgressSink
from lsat_core.evaluation.protocols import EvalStep
from lsat_core.store.engine import session_scope
from lsat_core.store.events import update_progress
from lsat_core.store.progress_timing import ProgressTiming

UPDATES = "updates"
"""The task-key suffix of the row that counts the run's updates."""


@dataclass(eq=False)
class InProcessProgress:
    """A `progress(what, done, total)` callable writing the tasks' rows, and `step_done` the
    updates' row; `also` (the terminal's bars) is called with every report."""

    engine: Engine
    experiment_id: int
    planned_updates: int
    also: ProgressSink | None = None
    timing: ProgressTiming = field(default_factory=ProgressTiming)
    updates_timing: ProgressTiming = field(default_factory=lambda: ProgressTiming(interval=0.0))
    _tasks: int = field(default=0, init=False)
    _current: tuple[str, int] | None = field(default=None, init=False)
    """The running task's name and total."""
    _updates: int = field(default=0, init=False)

    @property
    def task_key(self) -> str:
        return f"in-process:{self.experiment_id}:{self._tasks}"

    def __call__(self, what: str, done: int, total: int) -> None:
        if self.also is not None:
            self.also(what, done, total)
        if self._current is None or self._current[0] != what:
            self.end_task()
            self._tasks += 1
        self._current = (what, total)
        report = self.timing.due(what, done, total)
        if report is not None:
            self._write(self.task_key, done, total, report.eta_seconds, what)

    def end_task(self) -> None:
        """The running task has ended: its row reads done."""
        if self._current is None:
            return
        what, total = self._current
        self._write(self.task_key, total, total, 0.0, what)
        self.timing.restart()
        self._current = None

    def start(self) -> None:
        """The updates' row at 0, from which their pace is timed."""
        self._report_updates("no update done yet")

    def step_done(self, run_name: str, step: EvalStep) -> None:
        """`on_step`: the run `run_name` was updated at the step's period and tested."""
        self.end_task()
        self._updates += 1
        self._report_updates(f"updated and tested {run_name} at t={step.train_period}")

    def _report_updates(self, message: str) -> None:
        done, total = self._updates, max(self.planned_updates, self._updates)
        report = self.updates_timing.due(UPDATES, done, total)
        if report is not None:
            key = f"in-process:{self.experiment_id}:{UPDATES}"
            self._write(key, done, total, report.eta_seconds, message)

    def _write(self, key: str, done: int, total: int, eta: float | None, message: str) -> None:
        with session_scope(self.engine) as session:
            update_progress(
                session,
                key,
                done,
                total,
                eta_seconds=eta,
                message=message,
                experiment_id=self.experiment_id,
            )
