"""Resume experiments whose queued work was lost (issue 12, item 8): Redis restarted without its
data, a purged queue, a filesystem broker folder deleted.

Such an experiment is still pending or running in the store with work left, yet nothing works
on it: no activity in the store for `quiet_for` (`lsat_core.store.quiet_experiments`) and none
of its tasks queued, unacknowledged or held by a worker (`worker.broker_state`; every task id of
experiment N starts with `eN-`). It is resumed by sending its launch again: the launch re-reads
the store and is idempotent (runs by key, succeeded runs kept, fixed task ids), a model already
trained is loaded rather than trained again (`Workbench.model`), a claim held by the lost task
is re-acquired by its resent namesake, and an evaluation already stored only finishes its run.
So nothing is trained twice and nothing is lost.

It runs from `lsat resume EXPERIMENT` and from every worker, which checks on start and then
periodically (`ResumeWatchdog`, `lsat worker --resume-after SECONDS`). A work lock and the event
the resumer records before sending keep two workers from resuming the same experiment twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from celery import Celery
from sqlalchemy import Engine

from lsat_core.errors import InputError
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.events import record_event
from lsat_core.store.lifecycle import ACTIVE
from lsat_core.store.models import EventKind, Experiment
from lsat_core.store.quiet_experiments import QuietExperiment, quiet_experiments
from lsat_core.store.work_locks import work_lock
from worker.broker_state import live_task_ids
from worker.names import launch_task_id
from worker.queue_client import client_app, queue_launch
from worker.transient import is_transient

logger = logging.getLogger(__name__)

CONFIRM_SECONDS = 2.0
"""The broker is read twice this far apart before work is taken for lost: a message moving
between a queue and a worker at the first look is found at the second."""
MAX_CHECK_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True)
class Resumption:
    experiment_id: int
    resumed: bool
    reason: str


def experiment_task_prefix(experiment_id: int) -> str:
    """What every task id of the experiment starts with (worker.names, worker.canvas)."""
    return f"e{experiment_id}-"


def resume_lost_work(
    settings: Settings,
    app: Celery,
    *,
    quiet_for: timedelta,
    experiment_ids: list[int] | None = None,
    confirm_seconds: float = CONFIRM_SECONDS,
) -> list[Resumption]:
    """Resume every experiment (or those of `experiment_ids`) whose work was lost; returns what
    was decided for each experiment found quiet for `quiet_for`."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            quiet = quiet_experiments(session, quiet_for, experiment_ids=experiment_ids)
        if not quiet:
            return []
        live = live_task_ids(app, settings.broker_url)
        if any(not _held(live, c.experiment_id) for c in quiet):
            time.sleep(confirm_seconds)
            live |= live_task_ids(app, settings.broker_url)
        return [_resume_unless_held(engine, app, c, live, quiet_for) for c in quiet]
    finally:
        engine.dispose()


def resume_experiment(
    settings: Settings, app: Celery, experiment_id: int, *, quiet_for: timedelta
) -> Resumption:
    """`lsat resume`: resume one experiment if its work was lost, or say why not."""
    done = resume_lost_work(settings, app, quiet_for=quiet_for, experiment_ids=[experiment_id])
    if done:
        return done[0]
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            experiment = session.get(Experiment, experiment_id)
            if experiment is None:
                raise InputError("no such experiment", where=f"experiment {experiment_id}")
            status = experiment.status
    finally:
        engine.dispose()
    reason = (
        f"it is {status}: nothing to resume"
        if status not in ACTIVE
        else f"it has no work left, or was active in the last {quiet_for.total_seconds():.0f} s"
    )
    return Resumption(experiment_id, False, reason)


def _held(live: frozenset[str], experiment_id: int) -> list[str]:
    return sorted(t for t in live if t.startswith(experiment_task_prefix(experiment_id)))


def _resume_unless_held(
    engine: Engine,
    app: Celery,
    candidate: QuietExperiment,
    live: frozenset[str],
    quiet_for: timedelta,
) -> Resumption:
    experiment_id = candidate.experiment_id
    held = _held(live, experiment_id)
    if held:
        return Resumption(experiment_id, False, f"{len(held)} of its tasks are queued or running")
    with work_lock(engine, f"resume:{experiment_id}") as locked:
        if not locked:
            return Resumption(experiment_id, False, "another process is resuming it")
        with session_scope(engine) as session:
            # Anything written since it was found quiet (a task, or another resumer's event
            # just before this one took the lock) means it is not lost.
            again = quiet_experiments(session, quiet_for, experiment_ids=[experiment_id])
            if [q.last_activity for q in again] != [candidate.last_activity]:
                return Resumption(experiment_id, False, "it became active meanwhile")
            quiet_seconds = time.time() - candidate.last_activity.timestamp()
            record_event(
                session,
                f"resumed: nothing worked on it for {quiet_seconds:.0f} s and none of its tasks "
                "was queued or running (the broker lost them?); its launch is sent again, and "
                "redoes only what the store lacks",
                kind=EventKind.WARNING,
                experiment_id=experiment_id,
                task_key=launch_task_id(experiment_id),
            )
        queue_launch(app, experiment_id)
    logger.warning("experiment %s: its queued work was lost; resumed", experiment_id)
    return Resumption(experiment_id, True, "its queued work was lost: launch sent again")


class ResumeWatchdog(threading.Thread):
    """A worker's thread that resumes lost work: once when the worker starts, then every half
    `quiet_for` (at most every minute). A store or broker still down is checked again later."""

    def __init__(self, settings: Settings, quiet_for: timedelta) -> None:
        super().__init__(name="lsat-resume-watchdog", daemon=True)
        self.settings = settings
        self.quiet_for = quiet_for
        self.interval = min(quiet_for.total_seconds() / 2, MAX_CHECK_INTERVAL_SECONDS)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.check()
            self.stopped.wait(self.interval)

    def check(self) -> list[Resumption]:
        # A client app of its own, closed after each check: its broker connections are never
        # inherited by pool processes the worker forks later.
        app = client_app(self.settings)
        try:
            return resume_lost_work(self.settings, app, quiet_for=self.quiet_for)
        except Exception as exc:
            if not is_transient(exc):
                logger.exception("the check for lost work failed")
            else:
                logger.info("the check for lost work waits for the store and broker: %s", exc)
            return []
        finally:
            app.close()
