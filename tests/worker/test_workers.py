"""Real workers on a real Redis broker and PostgreSQL store (and on the embedded defaults): the
small comparison completes with the same results as `lsat run` in one process; two workers run
its independent models at the same time; a worker killed mid-training is replaced without a
duplicate; cancelling stops an experiment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import redis
from live_workers import (
    REDELIVERY_SECONDS,
    Cluster,
    Workers,
    data_dir_with_cache,
    experiment_results,
    task_events,
    train_intervals,
    wait_for_experiment,
    wait_until,
    worker_env,
)
from sqlalchemy import func, select

from lsat_core.llm.backbone import BackboneConfig
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact, ArtifactStatus, Event, Experiment, Run, RunStatus
from lsat_core.store.postgres_schema import temporary_schema
from lsat_core.store.queries import list_runs
from worker.queue_client import cancel_experiment, submit_experiment

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def worker_test_redis_url(redis_url: str) -> str:
    """The test Redis with a database number of its own (13), flushed by the tests."""
    return re.sub(r"/\d*$", "", redis_url.rstrip("/")) + "/13"


@pytest.fixture(scope="module")
def cluster(
    postgres_url: str, redis_url: str, ml1m_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two workers on Redis and a private PostgreSQL schema, shared by this module's tests."""
    broker = worker_test_redis_url(redis_url)
    redis.Redis.from_url(broker).flushdb()
    root = tmp_path_factory.mktemp("cluster")
    with temporary_schema(postgres_url) as database_url:
        settings = Settings.for_data_dir(
            data_dir_with_cache(root, ml1m_cache), database_url=database_url, broker_url=broker
        )
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        workers = Workers(worker_env(settings), root)
        try:
            for name in ("w1", "w2"):
                workers.start(name, redelivery_after=REDELIVERY_SECONDS)
            workers.wait_ready("w1", "w2")
            yield Cluster(settings, engine, workers)
        finally:
            workers.stop_all()
            engine.dispose()
            redis.Redis.from_url(broker).flushdb()


def test_two_workers_match_the_in_process_run_and_train_in_parallel(
    cluster: Cluster, tiny_config, reference_results: pd.DataFrame
) -> None:
    experiment_id = submit_experiment(cluster.settings, tiny_config().to_dict(), "two workers")
    experiment = wait_for_experiment(cluster.engine, experiment_id)
    assert (experiment.status, experiment.error) == (RunStatus.SUCCEEDED, None)
    pd.testing.assert_frame_equal(
        experiment_results(cluster.engine, experiment_id), reference_results, check_exact=True
    )
    with session_scope(cluster.engine) as session:
        runs = list_runs(session, experiment_id)
        assert {run.status for run in runs} == {RunStatus.SUCCEEDED}
        device = tiny_config().backbone.resolve_device().type  # the backbone's: cuda on a GPU
        assert all(run.device.startswith(device) for run in runs), [run.device for run in runs]
        # Shared models trained once: full@2, full@3, short@2, short@3, fine_tune@1..3.
        assert session.scalar(select(func.count()).select_from(Artifact)) == 7

    intervals = train_intervals(task_events(cluster.engine, experiment_id))
    assert len(intervals) == 7
    assert {worker for _, _, worker in intervals.values()} == {"w1@lsat-test", "w2@lsat-test"}
    overlapping = [
        (a, b)
        for a, (start_a, end_a, worker_a) in intervals.items()
        for b, (start_b, end_b, worker_b) in intervals.items()
        if worker_a < worker_b and start_a < end_b and start_b < end_a
    ]
    assert overlapping, f"no two trainings ran at once: {intervals}"


def test_cancel_stops_the_experiment_and_its_queued_work(cluster: Cluster, tiny_config) -> None:
    # More updates than the first test, under new keys (seed), so there is work left to cancel.
    config = tiny_config(seed=2, update_periods=(2, 3, 4, 5))
    experiment_id = submit_experiment(cluster.settings, config.to_dict(), "to cancel")
    wait_until(
        lambda: any(
            e.message.startswith("finished train")
            for e in task_events(cluster.engine, experiment_id)
        ),
        120,
        "a first model to be trained",
    )
    cancelled_at = datetime.now().astimezone()
    outcome = cancel_experiment(cluster.settings, experiment_id)
    assert len(outcome.runs) == 4 and outcome.revoked and outcome.revoked > 13

    def quiet() -> bool:
        with session_scope(cluster.engine) as session:
            latest = session.scalar(
                select(func.max(Event.created_at)).where(Event.experiment_id == experiment_id)
            )
        return datetime.now().astimezone() - latest > timedelta(seconds=4)

    wait_until(quiet, 60, "the workers to drop the cancelled work")
    events = task_events(cluster.engine, experiment_id)
    late_starts = [
        e.message
        for e in events
        if e.message.startswith("started") and e.created_at > cancelled_at + timedelta(seconds=1)
    ]
    assert late_starts == []
    with session_scope(cluster.engine) as session:
        assert session.get_one(Experiment, experiment_id).status == RunStatus.CANCELLED
        statuses = {run.status for run in list_runs(session, experiment_id)}
        trained = session.scalar(
            select(func.count())
            .select_from(Artifact)
            .where(Artifact.status == ArtifactStatus.READY, Artifact.key.like("lora-%"))
        )
    assert statuses == {RunStatus.CANCELLED}
    # 7 models of the first test; this experiment would add 13 (fine_tune@1..5, full@2..5,
    # short@2..5) and stopped well before.
    assert trained < 7 + 13


def test_a_failed_task_records_its_error_on_the_runs_and_ends_the_experiment(
    cluster: Cluster, tiny_config, tmp_path: Path
) -> None:
    not_a_model = tmp_path / "not-a-model"
    not_a_model.mkdir()
    config = tiny_config(seed=3, backbone=BackboneConfig(name_or_path=str(not_a_model)))
    experiment_id = submit_experiment(cluster.settings, config.to_dict(), "broken backbone")
    experiment = wait_for_experiment(cluster.engine, experiment_id, timeout=90)
    assert experiment.status == RunStatus.FAILED
    with session_scope(cluster.engine) as session:
        runs = list_runs(session, experiment_id)
    assert {run.status for run in runs} == {RunStatus.FAILED}
    for run in runs:
        assert run.error.startswith("training lora:") and str(not_a_model) in run.error
    assert run.error in experiment.error  # the experiment names a failed run's error
    errors = [e for e in task_events(cluster.engine, experiment_id) if e.kind == "error"]
    assert errors and all(e.message.startswith("training lora:") for e in errors)


def test_a_worker_killed_mid_training_is_replaced_without_duplicates(
    cluster: Cluster, tiny_config, reference_results: pd.DataFrame
) -> None:
    with session_scope(cluster.engine) as session:
        artifacts_before = session.scalar(select(func.count()).select_from(Artifact))
    experiment_id = submit_experiment(cluster.settings, tiny_config(seed=1).to_dict(), "killed")

    def training() -> tuple[str, str] | None:
        with session_scope(cluster.engine) as session:
            claim = session.execute(
                select(Artifact.key, Artifact.claimed_by).where(
                    Artifact.status == ArtifactStatus.TRAINING
                )
            ).first()
        return tuple(claim) if claim else None

    key, owner = wait_until(training, 120, "a model in training", interval=0.05)
    task_id = owner.removeprefix("celery-task:")
    [started] = [
        e
        for e in task_events(cluster.engine, experiment_id)
        if e.task_key == task_id and e.message.startswith("started train")
    ]
    victim = started.message.rsplit(" on ", 1)[1].split("@")[0]
    cluster.workers.kill(victim)
    cluster.workers.start("w3", redelivery_after=REDELIVERY_SECONDS)

    experiment = wait_for_experiment(cluster.engine, experiment_id)
    assert (experiment.status, experiment.error) == (RunStatus.SUCCEEDED, None)
    pd.testing.assert_frame_equal(
        experiment_results(cluster.engine, experiment_id), reference_results, check_exact=True
    )
    with session_scope(cluster.engine) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == artifacts_before + 7
        artifact = session.scalars(select(Artifact).where(Artifact.key == key)).one()
        assert (artifact.status, artifact.claimed_by) == (ArtifactStatus.READY, owner)
        assert {run.status for run in list_runs(session, experiment_id)} == {RunStatus.SUCCEEDED}
    # The killed task was delivered again and trained the model from the start elsewhere.
    restarts = [
        e.message for e in task_events(cluster.engine, experiment_id) if e.task_key == task_id
    ]
    assert sum(m.startswith("started train") for m in restarts) == 2, restarts
    assert sum(m.startswith("finished train") for m in restarts) == 1, restarts


def test_the_embedded_mode_runs_the_same_comparison(
    tiny_config,
    reference_results: pd.DataFrame,
    ml1m_cache: Path,
    tmp_path: Path,
) -> None:
    """Filesystem broker and SQLite store in the data folder, as `lsat up` runs them, with one
    worker on both queues (LLM work is then routed to the gpu queue)."""
    settings = Settings.for_data_dir(data_dir_with_cache(tmp_path, ml1m_cache))
    assert settings.broker_url.startswith("filesystem://")
    upgrade(settings.database_url)
    workers = Workers(worker_env(settings), tmp_path)
    engine = make_engine(settings.database_url)
    try:
        workers.start("solo", queues=("gpu", "cpu"))
        workers.wait_ready("solo")
        experiment_id = submit_experiment(settings, tiny_config().to_dict(), "embedded")
        experiment = wait_for_experiment(engine, experiment_id)
        assert (experiment.status, experiment.error) == (RunStatus.SUCCEEDED, None)
        pd.testing.assert_frame_equal(
            experiment_results(engine, experiment_id), reference_results, check_exact=True
        )
        queued = [e.message for e in task_events(engine, experiment_id) if "queued on" in e.message]
        assert queued and all(m.startswith("queued on gpu") for m in queued)
        with session_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(Run)) == 4
    finally:
        workers.stop_all()
        engine.dispose()
