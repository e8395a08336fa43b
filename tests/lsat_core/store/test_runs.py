from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine, func, select

from lsat_core.errors import ConfigError, InputError
from lsat_core.store import (
    ALLOWED_TRANSITIONS,
    Run,
    RunStatus,
    StatusTransitionError,
    StreamRecord,
    create_experiment,
    get_or_create_run,
    get_or_create_stream,
    list_runs,
    session_scope,
    set_experiment_status,
    set_run_status,
    set_run_stream,
)

STREAM = {
    "key": "stream-key",
    "dataset": "ml-1m",
    "config": {"num_periods": 20, "cut": "count", "tuple": (1, 2)},
    "source_checksum": "ab" * 32,
    "num_periods": 20,
    "period_stats": [{"period": 1, "samples": 10_000}],
}
RUN = {
    "name": "LSAT-EN (10)",
    "strategy": "lsat_en",
    "backbone": "smollm2-135m",
    "protocol": "next_period",
    "config": {"m": 10, "seed": 0},
    "seed": 0,
}


def test_get_or_create_stream_returns_the_stored_stream_for_a_known_key(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = get_or_create_stream(session, **STREAM)
    with session_scope(engine) as session:
        again = get_or_create_stream(session, **{**STREAM, "period_stats": []})
        assert again.id == first.id
        assert again.period_stats == STREAM["period_stats"]
        assert again.config == {"num_periods": 20, "cut": "count", "tuple": [1, 2]}
        assert session.scalar(select(func.count()).select_from(StreamRecord)) == 1


def test_a_key_stored_with_another_config_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        get_or_create_stream(session, **STREAM)
    refused = pytest.raises(ConfigError, match="stream stream-key: already stored with a different")
    with refused, session_scope(engine) as session:
        get_or_create_stream(session, **{**STREAM, "config": {"num_periods": 10}})


def test_a_run_asked_for_by_two_experiments_is_one_run_in_both(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = create_experiment(session, name="a", protocol="next_period", config={"n": 1})
        second = create_experiment(session, name="b", protocol="next_period", config={"n": 2})
        run = get_or_create_run(session, key="k", experiment_id=first.id, **RUN)
        shared = get_or_create_run(session, key="k", experiment_id=second.id, **RUN)
        again = get_or_create_run(session, key="k", experiment_id=second.id, **RUN)
        other = get_or_create_run(
            session, key="k2", experiment_id=second.id, **{**RUN, "config": {"m": 5}}
        )
        assert run.id == shared.id == again.id
        assert run.status is RunStatus.PENDING
    with session_scope(engine) as session:
        assert [r.id for r in list_runs(session, first.id)] == [run.id]
        assert [r.id for r in list_runs(session, second.id)] == [run.id, other.id]
        assert [r.id for r in list_runs(session)] == [run.id, other.id]


def test_set_run_stream_links_the_built_stream(engine: Engine, run_ids: tuple[int, int]) -> None:
    with session_scope(engine) as session:
        stream = get_or_create_stream(session, **STREAM)
        set_run_stream(session, run_ids[1], stream.id)
    with session_scope(engine) as session:
        assert session.get(Run, run_ids[1]).stream_id == stream.id


def test_a_run_goes_through_its_life_cycle_with_time_stamps(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    _, run_id = run_ids
    with session_scope(engine) as session:
        run = set_run_status(session, run_id, RunStatus.RUNNING, device="cpu")
        assert isinstance(run.started_at, datetime) and run.started_at.tzinfo is not None
        assert run.finished_at is None and run.device == "cpu"
    with session_scope(engine) as session:
        run = set_run_status(session, run_id, RunStatus.FAILED, error="CUDA out of memory")
    with session_scope(engine) as session:
        stored = session.get(Run, run_id)
        assert stored.status is RunStatus.FAILED and stored.error == "CUDA out of memory"
        assert stored.finished_at >= stored.started_at
    with session_scope(engine) as session:
        run = set_run_status(session, run_id, RunStatus.PENDING)
        assert (run.started_at, run.finished_at, run.error) == (None, None, None)
        set_run_status(session, run_id, RunStatus.RUNNING)
        run = set_run_status(session, run_id, RunStatus.SUCCEEDED)
        assert run.status is RunStatus.SUCCEEDED and run.error is None
        assert run.finished_at is not None


def test_status_changes_outside_the_life_cycle_are_refused(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    _, run_id = run_ids
    with session_scope(engine) as session:
        set_run_status(session, run_id, RunStatus.RUNNING)
        set_run_status(session, run_id, RunStatus.SUCCEEDED)
    refused = pytest.raises(StatusTransitionError, match=f"run {run_id}: cannot go from succeeded")
    with refused, session_scope(engine) as session:
        set_run_status(session, run_id, RunStatus.RUNNING)
    with session_scope(engine) as session:
        assert session.get(Run, run_id).status is RunStatus.SUCCEEDED


def test_every_status_can_be_left_and_finished_runs_only_go_back_to_pending() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(RunStatus)
    for status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED):
        assert ALLOWED_TRANSITIONS[status] == {RunStatus.PENDING}
    assert RunStatus.SUCCEEDED not in ALLOWED_TRANSITIONS[RunStatus.PENDING]


def test_experiments_share_the_run_life_cycle(engine: Engine, run_ids: tuple[int, int]) -> None:
    experiment_id, _ = run_ids
    with session_scope(engine) as session:
        experiment = set_experiment_status(session, experiment_id, RunStatus.CANCELLED)
        assert experiment.finished_at is not None
    with pytest.raises(StatusTransitionError), session_scope(engine) as session:
        set_experiment_status(session, experiment_id, RunStatus.SUCCEEDED)


def test_an_unknown_run_is_an_input_error(engine: Engine) -> None:
    with pytest.raises(InputError, match="runs 999: no such row"), session_scope(engine) as session:
        set_run_status(session, 999, RunStatus.RUNNING)
