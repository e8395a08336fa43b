"""Submit and cancel experiments from outside the workers (the CLI and the dashboard).

Knows Celery task names and the broker, and writes only through the store: no engine, no torch.
The experiment row is committed before its launch task is sent, so the task always finds it; the
launch task (on a worker) builds the stream, the runs and the work plan.

Cancelling marks the runs cancelled in the store first (every task checks that before and while
it works, so this alone stops the experiment) and then revokes the experiment's queued tasks so
that workers drop them without starting them.

Whether a failed send means the broker was unreachable is `worker.transient.is_transient`'s
call, the same one the tasks' retries make (issue 15, item 4); anything else is raised as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from celery import Celery

from lsat_core.errors import InputError, LsatError
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.events import record_event
from lsat_core.store.lifecycle import cancel_experiment_runs, experiment_task_ids, fail_experiment
from lsat_core.store.runs import create_experiment
from worker.config import celery_config
from worker.names import CPU_QUEUE, LAUNCH_EXPERIMENT, launch_task_id
from worker.transient import is_transient


def client_app(settings: Settings) -> Celery:
    """A Celery app that sends tasks by name (the tasks themselves live in the workers)."""
    app = Celery("lsat_studio", set_as_current=False)
    app.conf.update(celery_config(settings))
    return app


def submit_experiment(
    settings: Settings, config: Mapping[str, Any], name: str, *, app: Celery | None = None
) -> int:
    """Store a new experiment (an `ExperimentConfig.to_dict()`, validated by the caller) and queue
    its launch; returns the experiment id. The store must be migrated (`lsat db upgrade`)."""
    if "protocol" not in config or "strategies" not in config:
        raise InputError("not an experiment config (no protocol or strategies)", where="config")
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            experiment = create_experiment(
                session, name=name, protocol=str(config["protocol"]), config=dict(config)
            )
            experiment_id = experiment.id
            record_event(
                session,
                f"submitted: {', '.join(config['strategies'])}",
                experiment_id=experiment_id,
                task_key=launch_task_id(experiment_id),
            )
        try:
            queue_launch(app or client_app(settings), experiment_id)
        except Exception as exc:
            if not is_transient(exc):
                raise
            error = f"could not reach the broker: {exc}"
            with session_scope(engine) as session:
                fail_experiment(session, experiment_id, error)
            raise LsatError(f"experiment {experiment_id}: {error}") from exc
    finally:
        engine.dispose()
    return experiment_id


def queue_launch(app: Celery, experiment_id: int) -> None:
    """Send the launch of a stored experiment: a new one, or one resumed (`worker.resume`);
    the launch is idempotent, so a second one redoes nothing already done."""
    app.send_task(
        LAUNCH_EXPERIMENT,
        args=(experiment_id,),
        task_id=launch_task_id(experiment_id),
        queue=CPU_QUEUE,
    )


@dataclass(frozen=True)
class Cancellation:
    runs: list[int]
    """Runs moved to cancelled (those still pending or running)."""
    revoked: int | None
    """Task ids revoked; None when the broker could not be reached (the store still stops them)."""


def cancel_experiment(
    settings: Settings, experiment_id: int, *, app: Celery | None = None
) -> Cancellation:
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            runs = cancel_experiment_runs(session, experiment_id)
            task_ids = experiment_task_ids(session, experiment_id)
    finally:
        engine.dispose()
    try:
        if task_ids:
            (app or client_app(settings)).control.revoke(task_ids)
    except Exception as exc:
        if not is_transient(exc):
            raise
        return Cancellation(runs, None)
    return Cancellation(runs, len(task_ids))
