from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from lsat_core.store import session_scope
from lsat_core.store.experiment_progress import experiment_progress, group_of
from lsat_core.store.models import Event, EventKind
from lsat_core.store.runs import create_experiment

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _log(session, experiment_id: int, task: str, message: str, at: float, kind=EventKind.INFO):
    session.add(
        Event(
            experiment_id=experiment_id,
            task_key=task,
            kind=kind,
            message=message,
            created_at=T0 + timedelta(seconds=at),
        )
    )


def _queue(session, experiment_id: int, plan: dict[str, str]) -> None:
    for task, what in plan.items():
        _log(session, experiment_id, task, f"queued on cpu: {what}", 0)


PLAN = {
    "t1": "train lora:short@1",
    "t2": "train lora:short@2",
    "e1": "evaluate short_term at t=1",
    "e2": "evaluate short_term at t=2",
}


def test_tasks_done_of_planned_and_the_time_left_from_measured_durations(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="e", protocol="p", config={}).id
        _queue(session, experiment_id, PLAN)
        _log(session, experiment_id, "t1", "started train lora:short@1 on h", 10)
        _log(session, experiment_id, "t1", "finished train lora:short@1: best ...", 110)
        _log(session, experiment_id, "e1", "started evaluate short_term at t=1 on h", 110)
        _log(session, experiment_id, "e1", "finished evaluate short_term at t=1", 140)
        _log(session, experiment_id, "t2", "started train lora:short@2 on h", 110)
    with session_scope(engine) as session:
        progress = experiment_progress(session, experiment_id)
    assert progress is not None
    assert (progress.count(), progress.count(ended=True)) == (4, 2)
    assert (progress.count("train"), progress.count("train", ended=True)) == (2, 1)
    assert [t.task_key for t in progress.running] == ["t2"]
    assert progress.expected_seconds == {"train lora": 100.0, "evaluate short_term": 30.0}
    assert progress.measured_in == dict.fromkeys(progress.expected_seconds, "this experiment")
    # t2 has run 40 of its expected 100 s; e2 has not started: 60 + 30, one task at a time.
    now = T0 + timedelta(seconds=150)
    assert progress.seconds_left(now) == pytest.approx(90.0)
    # A running task's own ETA (from its progress report) replaces the expectation.
    assert progress.seconds_left(now, {"t2": 10.0}) == pytest.approx(40.0)


def test_an_unmeasured_group_borrows_the_stores_other_experiments_else_is_unknown(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        earlier = create_experiment(session, name="earlier", protocol="p", config={}).id
        _log(session, earlier, "x1", "queued on cpu: train lora:short@1", 0)
        _log(session, earlier, "x1", "started train lora:short@1 on h", 0)
        _log(session, earlier, "x1", "finished train lora:short@1: ...", 80)
        experiment_id = create_experiment(session, name="e", protocol="p", config={}).id
        _queue(session, experiment_id, PLAN)
    with session_scope(engine) as session:
        progress = experiment_progress(session, experiment_id)
    assert progress is not None
    assert progress.expected_seconds == {"train lora": 80.0}
    assert progress.measured_in == {"train lora": "this store"}
    assert progress.seconds_left(T0) is None  # no evaluation measured anywhere yet


def test_an_unmeasured_group_takes_its_kinds_duration(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="e", protocol="p", config={}).id
        _queue(session, experiment_id, PLAN | {"e3": "evaluate lsat_en at t=1"})
        _log(session, experiment_id, "e1", "started evaluate short_term at t=1 on h", 0)
        _log(session, experiment_id, "e1", "finished evaluate short_term at t=1", 30)
    with session_scope(engine) as session:
        progress = experiment_progress(session, experiment_id)
    assert progress is not None
    assert progress.expected_seconds["evaluate lsat_en"] == 30.0
    assert progress.measured_in["evaluate lsat_en"] == "this experiment's evaluate tasks"
    assert "train lora" not in progress.expected_seconds


def test_failed_and_skipped_tasks_have_ended(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="e", protocol="p", config={}).id
        _queue(session, experiment_id, PLAN)
        _log(session, experiment_id, "t1", "training failed: boom", 5, EventKind.ERROR)
        _log(session, experiment_id, "t2", "skipped train lora:short@2: no active run", 5)
    with session_scope(engine) as session:
        progress = experiment_progress(session, experiment_id)
    assert progress is not None and progress.count("train", ended=True) == 2


def test_a_model_found_trained_is_done_but_measures_no_training(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="e", protocol="p", config={}).id
        _queue(session, experiment_id, PLAN)
        _log(session, experiment_id, "t1", "started train lora:short@1 on h", 0)
        _log(session, experiment_id, "t1", "finished train lora:short@1: best 0.7", 90)
        _log(session, experiment_id, "t2", "started train lora:short@2 on h", 90)
        _log(session, experiment_id, "t2", "finished train lora:short@2: already trained", 90)
    with session_scope(engine) as session:
        progress = experiment_progress(session, experiment_id)
    assert progress is not None and progress.count("train", ended=True) == 2
    assert progress.expected_seconds == {"train lora": 90.0}


def test_nothing_queued_is_no_plan(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="e", protocol="p", config={}).id
        assert experiment_progress(session, experiment_id) is None


def test_groups() -> None:
    assert group_of("train lora:short@3") == "train lora"
    assert group_of("train mf:full@2") == "train mf"
    assert group_of("evaluate lsat_en at t=3") == "evaluate lsat_en"
