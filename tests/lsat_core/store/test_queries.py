from __future__ import annotations

from sqlalchemy import Engine

from lsat_core.store import (
    RunStatus,
    create_experiment,
    get_experiment,
    get_run,
    list_experiments,
    session_scope,
)


def test_experiments_are_listed_newest_first(engine: Engine) -> None:
    with session_scope(engine) as session:
        for name in ("first", "second", "third"):
            create_experiment(session, name=name, protocol="next_period", config={"name": name})
    with session_scope(engine) as session:
        assert [e.name for e in list_experiments(session)] == ["third", "second", "first"]
        assert [e.name for e in list_experiments(session, limit=1)] == ["third"]


def test_objects_stay_readable_after_their_session_closed(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    experiment_id, run_id = run_ids
    with session_scope(engine) as session:
        experiment = get_experiment(session, experiment_id)
        run = get_run(session, run_id)
    assert experiment is not None and experiment.status is RunStatus.PENDING
    assert run is not None and run.config == {"strategy": "fine_tuning", "lr": 1e-3}
    with session_scope(engine) as session:
        assert get_run(session, 999) is None
