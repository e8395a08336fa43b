"""The event a long-term refresh or a drift check leaves in the store (docs/method.md section 3):
when it fired and why, or why it did not, on the run's activity log, once per run and period
however often the update runs."""

from __future__ import annotations

from sqlalchemy import select

from lsat_core.engine.workbench import Workbench
from lsat_core.store.engine import session_scope
from lsat_core.store.events import record_event
from lsat_core.store.models import Event, Run


def refresh_task_key(run_key: str, t: int) -> str:
    return f"long-term-refresh:{run_key}:{t}"


def record_refresh(bench: Workbench, strategy: str, t: int, message: str) -> None:
    """Log `message` on the run of `strategy` in this experiment, keyed by run and period (a
    redelivered or repeated update adds nothing). Without a stored run (an update called outside
    the period loop) there is nothing to log it on."""
    run_key = bench.config.run_key(strategy)
    task_key = refresh_task_key(run_key, t)
    with session_scope(bench.engine) as session:
        run_id = session.scalar(select(Run.id).where(Run.key == run_key))
        logged = session.scalar(select(Event.id).where(Event.task_key == task_key).limit(1))
        if run_id is not None and logged is None:
            record_event(session, message, run_id=run_id, task_key=task_key)
