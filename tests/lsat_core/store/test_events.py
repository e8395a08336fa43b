from __future__ import annotations

from sqlalchemy import Engine

from lsat_core.store import (
    EventKind,
    create_experiment,
    get_or_create_run,
    latest_events,
    list_progress,
    record_event,
    session_scope,
    update_progress,
)


def test_progress_keeps_one_row_per_task_and_its_first_start(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    experiment_id, run_id = run_ids
    with session_scope(engine) as session:
        first = update_progress(session, "run:1:train:p3", 1, 100, run_id=run_id)
        started_at = first.started_at
    with session_scope(engine) as session:
        update_progress(
            session,
            "run:1:train:p3",
            40,
            100,
            eta_seconds=12.5,
            message="epoch 1",
            run_id=run_id,
        )
        update_progress(session, "experiment:build-stream", 3, None, experiment_id=experiment_id)
    with session_scope(engine) as session:
        rows = list_progress(session, run_id=run_id)
        assert len(rows) == 1
        row = rows[0]
        assert (row.step, row.total, row.eta_seconds, row.message) == (40, 100, 12.5, "epoch 1")
        assert row.started_at == started_at and row.updated_at > started_at
        by_experiment = list_progress(session, experiment_id=experiment_id)
        assert [p.task_key for p in by_experiment] == [
            "experiment:build-stream",
            "run:1:train:p3",
        ]
        assert len(list_progress(session)) == 2


def test_an_experiment_lists_its_own_events_and_its_runs_events_newest_first(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    experiment_id, run_id = run_ids
    with session_scope(engine) as session:
        other = create_experiment(session, name="other", protocol="cold_warm", config={})
        other_run = get_or_create_run(
            session,
            key="other-run",
            experiment_id=other.id,
            name="MF",
            strategy="mf",
            backbone="-",
            protocol="cold_warm",
            config={},
            seed=0,
        )
        record_event(session, "queued", experiment_id=experiment_id)
        record_event(session, "period 3 trained", run_id=run_id, task_key="t", step=3, total=20)
        record_event(session, "not ours", experiment_id=other.id, run_id=other_run.id)
        record_event(session, "out of memory", kind=EventKind.ERROR, run_id=run_id)
    with session_scope(engine) as session:
        events = latest_events(session, experiment_id=experiment_id)
        assert [e.message for e in events] == ["out of memory", "period 3 trained", "queued"]
        assert events[0].kind is EventKind.ERROR
        assert (events[1].task_key, events[1].step, events[1].total) == ("t", 3, 20)
        assert [e.message for e in latest_events(session, run_id=other_run.id)] == ["not ours"]
        assert len(latest_events(session, limit=2)) == 2
