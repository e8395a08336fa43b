"""Experiments with work left that nothing has worked on for a while: the store's half of
noticing that their queued work was lost (a broker restarted without its data, a purged queue;
issue 12, item 8). The broker's half, whether any of their tasks is still queued or held by a
worker, is `worker.broker_state`; resuming them is `worker.resume`.

Activity is whatever a task writes while it lives: its events and its progress row (written at
least every few seconds while it trains or scores, `worker.reporting`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsat_core.store.lifecycle import ACTIVE
from lsat_core.store.models import Event, Experiment, TaskProgress, utcnow
from lsat_core.store.queries import list_runs


@dataclass(frozen=True)
class QuietExperiment:
    experiment_id: int
    last_activity: datetime
    """The latest of its creation, start, events and task progress."""


def quiet_experiments(
    session: Session,
    quiet_for: timedelta,
    *,
    experiment_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> list[QuietExperiment]:
    """Experiments pending or running, with a run still to finish (or no runs yet: a launch
    that never ran), and no activity for at least `quiet_for`; optionally only `experiment_ids`."""
    statement = select(Experiment).where(Experiment.status.in_(list(ACTIVE)))
    if experiment_ids is not None:
        statement = statement.where(Experiment.id.in_(list(experiment_ids)))
    cutoff = (now or utcnow()) - quiet_for
    found = []
    for experiment in session.scalars(statement.order_by(Experiment.id)):
        if not _work_left(session, experiment.id):
            continue
        last = last_activity(session, experiment)
        if last <= cutoff:
            found.append(QuietExperiment(experiment.id, last))
    return found


def last_activity(session: Session, experiment: Experiment) -> datetime:
    moments = [
        experiment.created_at,
        experiment.started_at,
        session.scalar(
            select(func.max(Event.created_at)).where(Event.experiment_id == experiment.id)
        ),
        session.scalar(
            select(func.max(TaskProgress.updated_at)).where(
                TaskProgress.experiment_id == experiment.id
            )
        ),
    ]
    return max(moment for moment in moments if moment is not None)


def _work_left(session: Session, experiment_id: int) -> bool:
    statuses = {run.status for run in list_runs(session, experiment_id)}
    return not statuses or bool(statuses & ACTIVE)
