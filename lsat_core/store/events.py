"""What workers tell the dashboard while they work: an append-only event log and live progress.

Events accumulate (one row per call); progress keeps one row per task key, overwritten by each
update, so the dashboard reads the current state of every task with one small query.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lsat_core.store.keyed import dialect_insert
from lsat_core.store.models import Event, EventKind, TaskProgress, utcnow


def record_event(
    session: Session,
    message: str,
    *,
    kind: EventKind = EventKind.INFO,
    run_id: int | None = None,
    experiment_id: int | None = None,
    task_key: str | None = None,
    step: int | None = None,
    total: int | None = None,
) -> Event:
    """Append one event; give both the run and its experiment so either view lists it."""
    event = Event(
        message=message,
        kind=EventKind(kind),
        run_id=run_id,
        experiment_id=experiment_id,
        task_key=task_key,
        step=step,
        total=total,
    )
    session.add(event)
    session.flush()
    return event


def update_progress(
    session: Session,
    task_key: str,
    step: int,
    total: int | None = None,
    *,
    eta_seconds: float | None = None,
    message: str | None = None,
    run_id: int | None = None,
    experiment_id: int | None = None,
) -> TaskProgress:
    """Set the progress of `task_key` (created on its first update; `started_at` kept after)."""
    now = utcnow()
    insert = dialect_insert(session, TaskProgress).values(
        task_key=task_key,
        run_id=run_id,
        experiment_id=experiment_id,
        step=step,
        total=total,
        eta_seconds=eta_seconds,
        message=message,
        started_at=now,
        updated_at=now,
    )
    overwritten = ("run_id", "experiment_id", "step", "total", "eta_seconds", "message")
    statement = insert.on_conflict_do_update(
        index_elements=["task_key"],
        set_={**{name: insert.excluded[name] for name in overwritten}, "updated_at": now},
    ).returning(TaskProgress)
    return session.scalars(statement, execution_options={"populate_existing": True}).one()
