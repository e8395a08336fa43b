"""Real workers on a real Redis broker and PostgreSQL store (and on the embedded defaults): the
small comparison completes with the same results as `lsat run` in one process; two workers run
its independent models at the same time; a worker killed mid-training is replaced without a
duplicate; cancelling stops an experiment."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import redis
import torch
from sqlalchemy import Engine, func, select

from cli.worker_commands import worker_argv
from lsat_core.data.datasets import load_stream
from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.engine.presets import preset_config
from lsat_core.llm.backbone import BackboneConfig
from lsat_core.llm.training import LoraTrainConfig
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact, ArtifactStatus, Event, Experiment, Run, RunStatus
from lsat_core.store.postgres_schema import temporary_schema
from lsat_core.store.queries import list_runs, results_frame
from worker.queue_client import cancel_experiment, submit_experiment

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REDELIVERY_SECONDS = 20
"""Short, so a killed worker's task comes back within the test; longer than any task here."""
TERMINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


TINY_LORA = LoraTrainConfig(
    micro_batch_size=8, accumulation_steps=1, epochs=1, eval_every=1, eval_batch_size=16
)
TINY_BUDGET = SampleBudget(train_per_period=16, val_per_period=16, test_per_period=24)
STRATEGIES = ("full_retrain", "fine_tune", "lsat_en", "lsat_ta")
COMPARED = ["strategy", "train_period", "eval_period", "role", "segment", "n", "positives"]
"""What identifies a result cell and its test set; the AUC and coefficient are compared exactly."""


@pytest.fixture(scope="session")
def ml1m_cache(test_cache_dir: Path) -> Path:
    """The shared test cache with the ML-1M stream built (fetched once per machine)."""
    load_stream("ml-1m", test_cache_dir)
    return test_cache_dir


def data_dir_with_cache(root: Path, cache: Path) -> Path:
    """A fresh data folder (store, broker, adapters) reusing the built stream and wheels."""
    data = root / "data"
    (data / "cache").mkdir(parents=True)
    for name in ("wheels", "streams", "datasets"):
        if (cache / name).exists():
            (data / "cache" / name).symlink_to(cache / name)
    return data


@pytest.fixture(scope="session")
def tiny_config(tiny_model_dir: Path) -> Callable[..., ExperimentConfig]:
    """The small comparison: four strategies, updates at t = 2 and 3 (m = 2), tiny budgets.

    `seed` changes only the experiment's seed, which is hashed into run and model keys but
    drives neither sampling (the budget's seed) nor training (the LoRA seed): the same work
    under new keys, so the results must equal the seed-0 reference exactly.
    """

    def make(seed: int = 0, **overrides: Any) -> ExperimentConfig:
        values = {
            "backbone": BackboneConfig(name_or_path=str(tiny_model_dir)),
            "budget": TINY_BUDGET,
            "lora": TINY_LORA,
            "long_term_period": 2,
            "update_periods": (2, 3),
            "seed": seed,
            **overrides,
        }
        return preset_config("quick", STRATEGIES, **values)

    return make


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [*COMPARED, "auc", "coefficient"]
    return frame[columns].sort_values(COMPARED).reset_index(drop=True)


@pytest.fixture(scope="session")
def reference_results(
    tiny_config: Callable[..., ExperimentConfig],
    ml1m_cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> pd.DataFrame:
    """The small comparison run in this process (`lsat run`), one torch thread as the workers."""
    from lsat_core.engine.in_process import run_experiment

    settings = Settings.for_data_dir(
        data_dir_with_cache(tmp_path_factory.mktemp("ref"), ml1m_cache)
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        engine, prepared = run_experiment(tiny_config(), settings, name="reference")
    finally:
        torch.set_num_threads(threads)
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
    engine.dispose()
    return comparable(frame)


class Workers:
    """Worker processes started as `lsat worker` starts them, each in its own process group
    (so a SIGKILL takes its pool children too), with their logs in `log_dir`."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, queues: tuple[str, ...] = ("cpu",), **options: Any) -> None:
        hostname = f"{name}@lsat-test"
        log = self.log_dir / f"{name}.log"
        self.processes[name] = subprocess.Popen(
            worker_argv(queues, name=hostname, **options),
            env=self.env,
            cwd=REPO_ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, *names: str, timeout: float = 120) -> None:
        for name in names:
            log = self.log_dir / f"{name}.log"
            wait_until(
                lambda log=log, name=name: f"{name}@lsat-test ready." in log.read_text(),
                timeout,
                f"worker {name} to start (log: {log})",
            )

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "LSAT_DATA_DIR": str(settings.data_dir),
        "LSAT_DATABASE_URL": settings.database_url,
        "LSAT_BROKER_URL": settings.broker_url,
        # One torch thread per worker: two workers share the two cores, and the reference run
        # uses one thread too, so the floating-point results are the same.
        "OMP_NUM_THREADS": "1",
    }


@dataclass
class Cluster:
    settings: Settings
    engine: Engine
    workers: Workers


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


def wait_for_experiment(engine: Engine, experiment_id: int, timeout: float = 240) -> Experiment:
    def finished() -> Experiment | None:
        with session_scope(engine) as session:
            experiment = session.get_one(Experiment, experiment_id)
        return experiment if experiment.status in TERMINAL else None

    return wait_until(finished, timeout, f"experiment {experiment_id} to finish", interval=0.5)


def experiment_results(engine: Engine, experiment_id: int) -> pd.DataFrame:
    with session_scope(engine) as session:
        run_ids = [run.id for run in list_runs(session, experiment_id)]
        return comparable(results_frame(session, run_ids))


def task_events(engine: Engine, experiment_id: int) -> list[Event]:
    with session_scope(engine) as session:
        statement = select(Event).where(Event.experiment_id == experiment_id).order_by(Event.id)
        return list(session.scalars(statement))


def train_intervals(events: list[Event]) -> dict[str, tuple[datetime, datetime, str]]:
    """task id -> (start, finish, worker) of each model training, from the stored events."""
    starts = {
        e.task_key: (e.created_at, e.message.rsplit(" on ", 1)[1])
        for e in events
        if e.message.startswith("started train")
    }
    return {
        e.task_key: (starts[e.task_key][0], e.created_at, starts[e.task_key][1])
        for e in events
        if e.message.startswith("finished train") and e.task_key in starts
    }


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
        assert {(run.status, run.device) for run in runs} == {(RunStatus.SUCCEEDED, "cpu")}
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
