"""Status changes that tasks and cancellation make on runs and their experiment.

Each function runs inside the caller's transaction and first locks the experiment row, so the
transactions that finish the last runs of an experiment take turns: the last one sees every run
finished and settles the experiment, on PostgreSQL (row lock) and SQLite (write lock) alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsat_core.errors import InputError
from lsat_core.store.models import Event, Experiment, PeriodResult, Run, RunStatus, Segment
from lsat_core.store.queries import list_runs
from lsat_core.store.runs import set_experiment_status, set_run_status

ACTIVE = frozenset({RunStatus.PENDING, RunStatus.RUNNING})
CANCELLED_BY_USER = "cancelled by the user"


def lock_experiment(session: Session, experiment_id: int) -> Experiment:
    experiment = session.get(
        Experiment, experiment_id, with_for_update=True, populate_existing=True
    )
    if experiment is None:
        raise InputError("no such experiment", where=f"experiment {experiment_id}")
    return experiment


def active_run_ids(session: Session, run_ids: Iterable[int]) -> set[int]:
    """Those of `run_ids` still pending or running."""
    statement = select(Run.id).where(Run.id.in_(list(run_ids)), Run.status.in_(list(ACTIVE)))
    return set(session.scalars(statement))


def settle_experiment(session: Session, experiment_id: int) -> RunStatus | None:
    """Once no run is pending or running, mark the experiment: failed if a run failed, else
    cancelled if one was cancelled, else succeeded. Returns the status set (None: not yet)."""
    experiment = lock_experiment(session, experiment_id)
    runs = list_runs(session, experiment_id)
    if not runs or experiment.status not in ACTIVE or any(run.status in ACTIVE for run in runs):
        return None
    statuses = {run.status for run in runs}
    failed = [run for run in runs if run.status == RunStatus.FAILED]
    if failed:
        status, error = (
            RunStatus.FAILED,
            f"run {failed[0].id} ({failed[0].name}): {failed[0].error}",
        )
    elif RunStatus.CANCELLED in statuses:
        status, error = RunStatus.CANCELLED, CANCELLED_BY_USER
    else:
        status, error = RunStatus.SUCCEEDED, None
    if experiment.status == RunStatus.PENDING and status == RunStatus.SUCCEEDED:
        set_experiment_status(session, experiment_id, RunStatus.RUNNING)
    set_experiment_status(session, experiment_id, status, error=error)
    return status


def fail_runs(
    session: Session, experiment_id: int, run_ids: Iterable[int], error: str
) -> list[int]:
    """Mark the still active runs of `run_ids` failed with `error`; returns those it marked."""
    lock_experiment(session, experiment_id)
    marked = sorted(active_run_ids(session, run_ids))
    for run_id in marked:
        set_run_status(session, run_id, RunStatus.FAILED, error=error)
    settle_experiment(session, experiment_id)
    return marked


def fail_experiment(session: Session, experiment_id: int, error: str) -> None:
    """Fail the experiment and its active runs (its launch failed: no work was sent)."""
    experiment = lock_experiment(session, experiment_id)
    runs = [run.id for run in list_runs(session, experiment_id)]
    for run_id in sorted(active_run_ids(session, runs)):
        set_run_status(session, run_id, RunStatus.FAILED, error=error)
    if experiment.status in ACTIVE:
        set_experiment_status(session, experiment_id, RunStatus.FAILED, error=error)


def cancel_experiment_runs(session: Session, experiment_id: int) -> list[int]:
    """Cancel the experiment and its pending or running runs; returns the runs cancelled."""
    experiment = lock_experiment(session, experiment_id)
    runs = [run.id for run in list_runs(session, experiment_id)]
    marked = sorted(active_run_ids(session, runs))
    for run_id in marked:
        set_run_status(session, run_id, RunStatus.CANCELLED, error=CANCELLED_BY_USER)
    if experiment.status in ACTIVE:
        set_experiment_status(session, experiment_id, RunStatus.CANCELLED, error=CANCELLED_BY_USER)
    return marked


def recorded_periods(session: Session, run_id: int) -> set[int]:
    """Update periods whose served model has a stored result for this run."""
    statement = select(PeriodResult.train_period).where(
        PeriodResult.run_id == run_id,
        PeriodResult.role == "model",
        PeriodResult.segment == Segment.ALL,
    )
    return set(session.scalars(statement))


def finish_run_if_complete(
    session: Session,
    experiment_id: int,
    run_id: int,
    planned_periods: Iterable[int],
    *,
    device: str | None = None,
) -> bool:
    """Mark the run succeeded if it is running and every planned update has its results.

    Called after each evaluation: whichever evaluation of a run is recorded last finishes it,
    and the last run to finish settles the experiment (no waiting task, no result backend).
    """
    lock_experiment(session, experiment_id)
    run = session.get(Run, run_id, with_for_update=True, populate_existing=True)
    if run is None or run.status != RunStatus.RUNNING:
        return False
    if not set(planned_periods) <= recorded_periods(session, run_id):
        return False
    set_run_status(session, run_id, RunStatus.SUCCEEDED, device=device)
    settle_experiment(session, experiment_id)
    return True


def experiment_task_ids(session: Session, experiment_id: int) -> list[str]:
    """Ids of the Celery tasks sent for an experiment (every task logs events under its id)."""
    statement = (
        select(Event.task_key)
        .where(Event.experiment_id == experiment_id, Event.task_key.is_not(None))
        .distinct()
    )
    return sorted(session.scalars(statement))
