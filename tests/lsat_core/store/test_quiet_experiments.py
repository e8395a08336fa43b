"""The store's half of noticing lost work: active experiments with work left and no activity."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine
from stored_runs import add_experiment

from lsat_core.store.engine import session_scope
from lsat_core.store.events import record_event, update_progress
from lsat_core.store.lifecycle import finish_runs, start_runs
from lsat_core.store.models import utcnow
from lsat_core.store.quiet_experiments import quiet_experiments
from lsat_core.store.runs import create_experiment

QUIET = timedelta(seconds=60)


def quiet_ids(engine: Engine, after: timedelta, **options) -> list[int]:
    with session_scope(engine) as session:
        found = quiet_experiments(session, QUIET, now=utcnow() + after, **options)
        return [q.experiment_id for q in found]


def test_a_running_experiment_is_quiet_once_nothing_wrote_for_the_time(engine: Engine) -> None:
    experiment_id, runs = add_experiment(engine, ("full_retrain", "lsat_en"))
    with session_scope(engine) as session:
        start_runs(session, experiment_id, runs)
    assert quiet_ids(engine, timedelta(seconds=30)) == []
    assert quiet_ids(engine, timedelta(seconds=61)) == [experiment_id]
    assert quiet_ids(engine, timedelta(seconds=61), experiment_ids=[experiment_id + 1]) == []


def test_events_and_progress_are_activity(engine: Engine) -> None:
    talking, _ = add_experiment(engine, ("full_retrain",))
    training, _ = add_experiment(engine, ("full_retrain",))
    with session_scope(engine) as session:
        record_event(session, "started", experiment_id=talking)
        update_progress(session, "e2-train", 3, 10, experiment_id=training)
    later = timedelta(seconds=61)
    assert quiet_ids(engine, later) == [talking, training]
    with session_scope(engine) as session:
        found = quiet_experiments(session, QUIET, now=utcnow() + later)
        last = {q.experiment_id: q.last_activity for q in found}
    with session_scope(engine) as session:
        update_progress(session, "e2-train", 4, 10, experiment_id=training)
        found = quiet_experiments(session, QUIET, now=last[training] + QUIET)
    assert [q.experiment_id for q in found] == [talking]


def test_a_finished_experiment_or_one_without_work_left_is_never_quiet(engine: Engine) -> None:
    finished, runs = add_experiment(engine, ("full_retrain",))
    with session_scope(engine) as session:
        start_runs(session, finished, runs)
        finish_runs(session, finished, runs.values())
        # Submitted, its launch never ran: no runs yet, pending, work left.
        lost_launch = create_experiment(session, name="lost", protocol="next-period", config={}).id
    assert quiet_ids(engine, timedelta(hours=1)) == [lost_launch]
