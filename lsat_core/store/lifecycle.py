"""The life cycle of runs and experiments: which status changes are allowed, and the operations
every caller makes with them (the period loop, the worker tasks, cancellation from the CLI or
the dashboard).

pending -> running -> succeeded | failed | cancelled; a finished run goes back to pending only
when relaunched on purpose. Each operation runs inside the caller's transaction and first locks
the experiment row, so the transactions that finish the last runs of an experiment take turns:
the last one sees every run finished and settles the experiment, on PostgreSQL (row lock) and
SQLite (write lock) alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsat_core.errors import InputError
from lsat_core.store.models import Event, Experiment, PeriodResult, Run, RunStatus, Segment, utcnow
from lsat_core.store.queries import list_runs

_RowT = TypeVar("_RowT", Run, Experiment)

_S = RunStatus
ALLOWED_TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    _S.PENDING: frozenset({_S.RUNNING, _S.FAILED, _S.CANCELLED}),
    # running -> running: a redelivered task (late acknowledgement) restarts a run whose worker
    # died; running -> pending: the run is put back in the queue.
    _S.RUNNING: frozenset({_S.RUNNING, _S.SUCCEEDED, _S.FAILED, _S.CANCELLED, _S.PENDING}),
    # A finished run only goes back to pending, i.e. is relaunched on purpose.
    _S.SUCCEEDED: frozenset({_S.PENDING}),
    _S.FAILED: frozenset({_S.PENDING}),
    _S.CANCELLED: frozenset({_S.PENDING}),
}
ACTIVE = frozenset({_S.PENDING, _S.RUNNING})
CANCELLED_BY_USER = "cancelled by the user"


class StatusTransitionError(InputError):
    """A status change that the life cycle does not allow (e.g. succeeded -> running)."""


def set_run_status(
    session: Session,
    run_id: int,
    status: RunStatus,
    *,
    error: str | None = None,
    device: str | None = None,
) -> Run:
    """Move a run along its life cycle, stamping started/finished times.

    running stamps `started_at` and clears the finish time and error; succeeded, failed and
    cancelled stamp `finished_at` (failed and cancelled keep `error`); pending clears all three.
    Raises StatusTransitionError for a change ALLOWED_TRANSITIONS does not list.
    """
    run = locked_row(session, Run, run_id)
    _apply_transition(run, RunStatus(status), error, where=f"run {run_id}")
    if device is not None:
        run.device = device
    session.flush()
    return run


def set_experiment_status(
    session: Session, experiment_id: int, status: RunStatus, *, error: str | None = None
) -> Experiment:
    """Same life cycle and time stamps as `set_run_status`, for an experiment."""
    experiment = locked_row(session, Experiment, experiment_id)
    _apply_transition(experiment, RunStatus(status), error, where=f"experiment {experiment_id}")
    session.flush()
    return experiment


def locked_row(session: Session, model: type[_RowT], row_id: int) -> _RowT:
    # FOR UPDATE serialises concurrent transitions of one row on PostgreSQL; SQLite ignores it
    # and relies on BEGIN IMMEDIATE (engine.py) for the same effect.
    row = session.get(model, row_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise InputError("no such row", where=f"{model.__tablename__} {row_id}")
    return row


def _apply_transition(
    row: Run | Experiment, status: RunStatus, error: str | None, where: str
) -> None:
    if status not in ALLOWED_TRANSITIONS[row.status]:
        raise StatusTransitionError(f"cannot go from {row.status} to {status}", where=where)
    now = utcnow()
    if status is RunStatus.PENDING:
        row.started_at, row.finished_at, row.error = None, None, None
    elif status is RunStatus.RUNNING:
        row.started_at, row.finished_at, row.error = now, None, None
    else:
        row.finished_at = now
        row.error = None if status is RunStatus.SUCCEEDED else error
    row.status = status


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


def start_runs(session: Session, experiment_id: int, run_ids: Mapping[str, int]) -> dict[str, int]:
    """Mark the experiment and its unfinished runs running; returns those runs (strategy -> id).
    Runs already succeeded (in this or another experiment) are not redone; a failed or cancelled
    one is relaunched (back to pending, then running)."""
    lock_experiment(session, experiment_id)
    started = {}
    for strategy, run_id in run_ids.items():
        run = locked_row(session, Run, run_id)
        if run.status == RunStatus.SUCCEEDED:
            continue
        if run.status not in ACTIVE:
            set_run_status(session, run_id, RunStatus.PENDING)
        set_run_status(session, run_id, RunStatus.RUNNING)
        started[strategy] = run_id
    set_experiment_status(session, experiment_id, RunStatus.RUNNING)
    return started


def finish_runs(
    session: Session,
    experiment_id: int,
    run_ids: Iterable[int],
    *,
    error: str | None = None,
    device: str | None = None,
) -> None:
    """Mark the runs and their experiment succeeded, or failed with `error` (a run in one
    process: its runs end together)."""
    lock_experiment(session, experiment_id)
    status = RunStatus.FAILED if error else RunStatus.SUCCEEDED
    for run_id in run_ids:
        set_run_status(session, run_id, status, error=error, device=device)
    set_experiment_status(session, experiment_id, status, error=error)


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


def experiment_task_ids(session: Session, experiment_id: int) -> list[str]:
    """Ids of the Celery tasks sent for an experiment (every task logs events under its id), for
    cancellation to revoke."""
    statement = (
        select(Event.task_key)
        .where(Event.experiment_id == experiment_id, Event.task_key.is_not(None))
        .distinct()
    )
    return sorted(session.scalars(statement))


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
