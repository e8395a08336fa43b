from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from lsat_core.errors import ConfigError
from lsat_core.store import (
    Artifact,
    Event,
    Experiment,
    PeriodResult,
    Run,
    claim_artifact,
    create_experiment,
    get_or_create_run,
    make_engine,
    record_event,
    record_period_result,
    session_scope,
    update_progress,
)
from lsat_core.store.models import ExperimentRun, TaskProgress


def test_sqlite_engine_creates_the_folder_and_sets_wal_foreign_keys_and_busy_timeout(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'lsat.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    engine.dispose()
    assert (tmp_path / "a" / "b" / "lsat.db").is_file()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "not a database URL"),
        ("mysql+pymysql://u:secret@host/db", "unsupported database 'mysql'"),
    ],
)
def test_bad_database_urls_are_config_errors_that_hide_passwords(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        make_engine(url)
    assert "secret" not in str(caught.value)
    assert str(caught.value).startswith("database_url: ")


def test_session_scope_commits_at_the_end(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_experiment(session, name="kept", protocol="next_period", config={})
    with session_scope(engine) as session:
        assert session.scalars(select(Experiment.name)).all() == ["kept"]


def test_a_failed_transaction_leaves_nothing_half_written(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="worker crashed"), session_scope(engine) as session:
        experiment = create_experiment(session, name="lost", protocol="next_period", config={})
        run = get_or_create_run(
            session,
            key="k",
            experiment_id=experiment.id,
            name="FT",
            strategy="fine_tuning",
            backbone="b",
            protocol="next_period",
            config={},
            seed=0,
        )
        record_period_result(
            session, run_id=run.id, train_period=1, eval_period=2, auc=0.7, n=10, positives=5
        )
        claim_artifact(session, "adapter", "worker-1", kind="lora_adapter", config={})
        record_event(session, "started", run_id=run.id)
        update_progress(session, "task", 1, 10, run_id=run.id)
        raise RuntimeError("worker crashed")
    with session_scope(engine) as session:
        for model in (Experiment, Run, ExperimentRun, PeriodResult, Artifact, Event, TaskProgress):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), session_scope(engine) as session:
        record_event(session, "orphan", run_id=12345)


def test_deleting_a_run_deletes_its_results_and_events(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    _, run_id = run_ids
    with session_scope(engine) as session:
        record_period_result(
            session, run_id=run_id, train_period=1, eval_period=2, auc=0.7, n=10, positives=5
        )
        record_event(session, "hello", run_id=run_id)
    with session_scope(engine) as session:
        session.delete(session.get(Run, run_id))
    with session_scope(engine) as session:
        for model in (PeriodResult, Event, ExperimentRun):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
