"""The Celery tasks: thin wrappers over `worker.jobs` that decide what to do with an error.

- Cancelled (the store says no run wants the work any more): stop quietly.
- ModelBusyError (another task is training a model this one needs): retry later, with growing
  countdowns and no limit; the other task finishes, or its claim goes stale and is taken over.
- Transient (`worker.transient.is_transient`: database or broker connection, serialization
  failure, deadlock, SQLite lock): retry with exponential backoff, up to TRANSIENT_RETRIES
  times, then handle it as a failure.
- Anything else: record the error text on the runs the task works for (they fail, the others go
  on, and the experiment settles when its last run finishes), then re-raise for the worker log
  (a user's bad input, an InputError, as one line there: worker.app.LsatTask).

All tasks acknowledge late and are requeued when their worker process dies (worker.config), which
is safe because every job is idempotent by its key (worker.jobs).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from functools import cache
from typing import Any

from celery import Task
from celery.exceptions import Reject

from lsat_core.engine.workbench import ModelBusyError
from lsat_core.settings import Settings
from worker import jobs
from worker.app import app
from worker.canvas import spec_from_json
from worker.context import WorkerContext
from worker.names import EVALUATE_STEP, LAUNCH_EXPERIMENT, TRAIN_MODEL
from worker.reporting import TaskCancelled
from worker.transient import is_transient

logger = logging.getLogger(__name__)

TRANSIENT_RETRIES = 20
"""With the backoff below, about half an hour of retries: a store or broker restart is outlived."""
BUSY_FIRST_COUNTDOWN = 5.0
MAX_COUNTDOWN = 300.0


@cache
def context() -> WorkerContext:
    """This worker process's context (settings read once, on the first task)."""
    return WorkerContext(Settings.from_env())


def countdown(retries: int, first: float) -> float:
    """Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and
    Jitter"), so workers retrying together spread out."""
    return random.uniform(first / 2, min(MAX_COUNTDOWN, first * 2**retries))


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run_guarded(task: Task, work: Callable[[], Any], on_failure: Callable[[str], Any]) -> Any:
    try:
        return work()
    except TaskCancelled as exc:
        logger.info("%s", exc)
        return None
    except ModelBusyError as exc:
        raise _retry(
            task, exc, countdown(task.request.retries, BUSY_FIRST_COUNTDOWN), None
        ) from exc
    except Exception as exc:
        if is_transient(exc) and task.request.retries < TRANSIENT_RETRIES:
            raise _retry(
                task, exc, countdown(task.request.retries, 2.0), TRANSIENT_RETRIES
            ) from exc
        _record(on_failure, exc)
        raise


def _retry(task: Task, exc: Exception, delay: float, max_retries: int | None) -> BaseException:
    """The exception that retries `task`. Celery sends the retry as a new message and, when that
    send fails (the broker is down), rejects the delivery without requeueing it, which would
    drop the task; it is requeued instead (or, with the broker still down, left unacknowledged
    for the broker to deliver again)."""
    try:
        return task.retry(exc=exc, countdown=delay, max_retries=max_retries)
    except Reject as rejected:
        return Reject(rejected.reason, requeue=True)


def _record(on_failure: Callable[[str], Any], exc: BaseException) -> None:
    try:
        on_failure(error_text(exc))
    except Exception:
        logger.exception("could not record the failure %s in the store", error_text(exc))


@app.task(bind=True, name=LAUNCH_EXPERIMENT)
def launch_experiment(self: Task, experiment_id: int) -> None:
    ctx = context()
    run_guarded(
        self,
        lambda: jobs.launch(ctx, self.app, experiment_id, self.request.id),
        lambda error: jobs.fail_launch(ctx, experiment_id, self.request.id, error),
    )


@app.task(bind=True, name=TRAIN_MODEL)
def train_model(self: Task, experiment_id: int, spec: dict[str, Any]) -> None:
    ctx, model = context(), spec_from_json(spec)
    run_guarded(
        self,
        lambda: jobs.train_model(ctx, experiment_id, model, self.request.id, self.request.hostname),
        lambda error: jobs.fail_model(ctx, experiment_id, model, self.request.id, error),
    )


@app.task(bind=True, name=EVALUATE_STEP)
def evaluate_step(self: Task, experiment_id: int, run_id: int, train_period: int) -> None:
    ctx = context()
    run_guarded(
        self,
        lambda: jobs.evaluate_step(
            ctx, experiment_id, run_id, train_period, self.request.id, self.request.hostname
        ),
        lambda error: jobs.fail_evaluation(
            ctx, experiment_id, run_id, train_period, self.request.id, error
        ),
    )
