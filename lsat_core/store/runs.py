"""Write side of streams, experiments and runs: keyed get-or-create and status transitions.

Get-or-create is INSERT ... ON CONFLICT DO NOTHING on the key's unique constraint followed by a
SELECT, so two workers creating the same stream or run at once end up with one row. None of these
functions commit: the caller's transaction decides.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsat_core.errors import InputError
from lsat_core.store.keyed import check_same_config, dialect_insert
from lsat_core.store.models import Experiment, ExperimentRun, Run, RunStatus, Stream, utcnow

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


class StatusTransitionError(InputError):
    """A status change that the life cycle does not allow (e.g. succeeded -> running)."""


def get_or_create_stream(
    session: Session,
    *,
    key: str,
    dataset: str,
    config: dict[str, Any],
    source_checksum: str,
    num_periods: int,
    period_stats: list[Any],
) -> Stream:
    """The stream stored under `key`, created from these values if there is none."""
    session.execute(
        dialect_insert(session, Stream)
        .values(
            key=key,
            dataset=dataset,
            config=config,
            source_checksum=source_checksum,
            num_periods=num_periods,
            period_stats=period_stats,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    stream = session.scalars(select(Stream).where(Stream.key == key)).one()
    check_same_config(stream.config, config, f"stream {key}")
    return stream


def create_experiment(
    session: Session, *, name: str, protocol: str, config: dict[str, Any]
) -> Experiment:
    """A new pending experiment (experiments are not keyed: each launch is its own)."""
    experiment = Experiment(name=name, protocol=protocol, config=config)
    session.add(experiment)
    session.flush()
    return experiment


def get_or_create_run(
    session: Session,
    *,
    key: str,
    experiment_id: int,
    name: str,
    strategy: str,
    backbone: str,
    protocol: str,
    config: dict[str, Any],
    seed: int,
    stream_id: int | None = None,
) -> Run:
    """The run stored under `key` (created pending if new), made a member of the experiment.

    A run that another experiment already created is returned as it is, results and status
    included: equal keys mean equal configs, so its results answer this experiment too.
    """
    session.execute(
        dialect_insert(session, Run)
        .values(
            key=key,
            name=name,
            strategy=strategy,
            backbone=backbone,
            protocol=protocol,
            config=config,
            seed=seed,
            stream_id=stream_id,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    run = session.scalars(select(Run).where(Run.key == key)).one()
    check_same_config(run.config, config, f"run {key}")
    session.execute(
        dialect_insert(session, ExperimentRun)
        .values(experiment_id=experiment_id, run_id=run.id)
        .on_conflict_do_nothing(index_elements=["experiment_id", "run_id"])
    )
    return run


def set_run_stream(session: Session, run_id: int, stream_id: int) -> Run:
    """Record the stream a run replays (known once the stream is built)."""
    run = _get_for_update(session, Run, run_id)
    run.stream_id = stream_id
    session.flush()
    return run


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
    run = _get_for_update(session, Run, run_id)
    _apply_transition(run, RunStatus(status), error, where=f"run {run_id}")
    if device is not None:
        run.device = device
    session.flush()
    return run


def set_experiment_status(
    session: Session, experiment_id: int, status: RunStatus, *, error: str | None = None
) -> Experiment:
    """Same life cycle and time stamps as `set_run_status`, for an experiment."""
    experiment = _get_for_update(session, Experiment, experiment_id)
    _apply_transition(experiment, RunStatus(status), error, where=f"experiment {experiment_id}")
    session.flush()
    return experiment


def _get_for_update(session: Session, model: type[_RowT], row_id: int) -> _RowT:
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
