"""The fault tests' cluster: two real workers (tests/support/live_workers.py) on a private Redis
and a private PostgreSQL (tests/support/private_services.py) that the tests crash and restart.

Every fault test runs LSAT_FAULT_ITERATIONS times (default 1; bench/soak_faults.py runs many),
each iteration on new model keys and with its fault at a moment drawn at random
(`random_moment`, seeded by LSAT_FAULT_SEED when it is set): while the comparison launches,
while a model trains (between its claim and its completion), while a model's folder is being
written, while an evaluation runs (it scores, then writes its results and predictions in one
transaction), or after a model is ready. What each iteration drew and the
store connection trouble the workers logged meanwhile are kept as the test's properties.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from live_workers import (
    Workers,
    data_dir_with_cache,
    reference_results,
    tiny_config,
    wait_until,
    worker_env,
)
from private_services import PG_BIN, FaultyCluster, PrivatePostgres, PrivateRedis
from sqlalchemy import func, select

from lsat_core.engine.model_folders import STAGING_PREFIX
from lsat_core.settings import Settings
from lsat_core.store import task_event_texts as texts
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact, ArtifactStatus, Event

__all__ = ["reference_results", "tiny_config"]

ITERATIONS_VARIABLE = "LSAT_FAULT_ITERATIONS"
SEED_VARIABLE = "LSAT_FAULT_SEED"
MOMENT_VARIABLE = "LSAT_FAULT_MOMENT"
"""Names one of MOMENTS to inject every fault at it instead of a moment drawn at random."""
STORE_LOG_MARK = "store: "
"""How lsat_core.store.engine starts the lines it logs on a failed pre-ping or a disconnect."""
LOGGED_LINE_CHARACTERS = 400
"""Enough for the statement's start; a whole SELECT runs to thousands of characters."""

REDELIVERY_SECONDS = 45
"""Longer than the worker tests' 20 s: a tiny training took 23 s on the busy 2-core machine, and
a task running past it is delivered a second time, which would hide what the faults cause."""
RESUME_AFTER_SECONDS = 10
"""The workers resume an experiment whose queued work vanished after this long with nothing
working on it (worker.resume); short, so the broker-loss test ends within its timeout."""


@pytest.fixture(scope="module")
def faulty(ml1m_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultyCluster]:
    """Two workers on a private Redis and a private PostgreSQL, shared by a module's tests."""
    if os.geteuid() != 0 or PG_BIN is None or shutil.which("redis-server") is None:
        pytest.skip("needs root, PostgreSQL's server binaries and redis-server")
    root = tmp_path_factory.mktemp("faults")
    broker, database = PrivateRedis(root), PrivatePostgres()
    workers = None
    try:
        broker.start()
        database.start()
        settings = Settings.for_data_dir(
            data_dir_with_cache(root, ml1m_cache),
            database_url=database.url,
            broker_url=broker.url,
        )
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        workers = Workers(worker_env(settings), root)
        for name in ("w1", "w2"):
            start_worker(workers, name)
        workers.wait_ready("w1", "w2")
        yield FaultyCluster(settings, engine, workers, broker, database)
        engine.dispose()
    finally:
        if workers is not None:
            workers.stop_all()
        if broker.process is not None:
            broker.crash()
        database.remove()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "iteration" in metafunc.fixturenames:
        metafunc.parametrize("iteration", range(int(os.environ.get(ITERATIONS_VARIABLE, "1"))))


@pytest.fixture
def rng(request: pytest.FixtureRequest, record_property: Callable[[str, object], None]):
    """The iteration's random source; its seed is recorded, to replay a failing draw."""
    base = os.environ.get(SEED_VARIABLE)
    seed = f"{base}:{request.node.name}" if base else str(random.SystemRandom().random())
    record_property("seed", seed)
    return random.Random(seed)


@pytest.fixture
def restart_worker(faulty: FaultyCluster) -> Callable[[str], None]:
    """SIGKILL a worker with its pool and start it again as the cluster started it."""

    def restart(name: str) -> None:
        faulty.workers.kill(name)
        start_worker(faulty.workers, name)

    return restart


def start_worker(workers: Workers, name: str) -> None:
    workers.start(name, redelivery_after=REDELIVERY_SECONDS, resume_after=RESUME_AFTER_SECONDS)


def model_trains(engine) -> bool:
    with session_scope(engine) as session:
        statement = select(Artifact.id).where(Artifact.status == ArtifactStatus.TRAINING)
        return session.scalar(statement.limit(1)) is not None


def model_ready_since(engine, after_id: int) -> bool:
    with session_scope(engine) as session:
        statement = select(Artifact.id).where(
            Artifact.id > after_id, Artifact.status == ArtifactStatus.READY
        )
        return session.scalar(statement.limit(1)) is not None


def staging_folders(models_dir: Path) -> set[Path]:
    """Model folders being written (`model_folders.write_model_folder`)."""
    return set(models_dir.glob(f"*/{STAGING_PREFIX}*"))


def last_event_id(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.max(Event.id))) or 0


def evaluation_started_since(engine, after_event_id: int) -> bool:
    started = texts.STARTED + texts.EVALUATE_TASK
    with session_scope(engine) as session:
        statement = select(Event.id).where(
            Event.id > after_event_id, Event.message.startswith(started)
        )
        return session.scalar(statement.limit(1)) is not None


MOMENTS = ("launching", "training", "saving a model", "evaluating", "after a model is ready")
MAX_DELAY_SECONDS = {"saving a model": 0.0, "evaluating": 1.0}
"""How long after its moment begins a fault may come (else 3 s): a tiny model's folder is
written within a fraction of a second, and an evaluation of the tiny comparison in a few."""
SAVE_POLL_SECONDS = 0.005
"""A folder being written exists for tens of milliseconds; listing the models folder is cheap."""


@pytest.fixture
def random_moment(faulty: FaultyCluster, rng: random.Random, record_property):
    """`wait(after_id)`: returns at a moment drawn at random from a comparison just submitted
    (MOMENTS), `after_id` being the last artifact stored before it. A folder written too fast
    for the poll is recorded as missed: the fault then comes once the model is ready."""

    def wait(after_id: int) -> str:
        moment = os.environ.get(MOMENT_VARIABLE) or rng.choice(MOMENTS)
        assert moment in MOMENTS, f"{MOMENT_VARIABLE}={moment!r} is not one of {MOMENTS}"
        seen = moment
        if moment == "training":
            wait_until(lambda: model_trains(faulty.engine), 180, "a model in training", 0.05)
        elif moment == "saving a model":
            seen = wait_for_a_save(faulty, after_id)
        elif moment == "evaluating":
            after_event = last_event_id(faulty.engine)
            wait_until(
                lambda: evaluation_started_since(faulty.engine, after_event),
                240,
                "an evaluation",
                0.05,
            )
        elif moment == "after a model is ready":
            wait_until(
                lambda: model_ready_since(faulty.engine, after_id), 240, "a ready model", 0.05
            )
        delay = rng.uniform(0.0, MAX_DELAY_SECONDS.get(moment, 3.0))
        time.sleep(delay)
        record_property("fault_moment", f"{seen} + {delay:.2f} s")
        return moment

    return wait


def wait_for_a_save(faulty: FaultyCluster, after_id: int) -> str:
    """Returns as soon as a new model folder is being written, or once a new model is ready
    (the save was missed between two polls); says which."""
    models_dir = faulty.settings.artifacts_dir / "models"
    before = staging_folders(models_dir)  # a SIGKILLed save's folder stays until collected
    deadline = time.monotonic() + 240
    polls = 0
    while time.monotonic() < deadline:
        if staging_folders(models_dir) - before:
            return "saving a model"
        polls += 1
        if polls % 10 == 0 and model_ready_since(faulty.engine, after_id):
            return "saving a model (missed: after a model is ready)"
        time.sleep(SAVE_POLL_SECONDS)
    raise AssertionError("timed out after 240 s waiting for a model to be saved")


@pytest.fixture(autouse=True)
def store_connection_events(faulty: FaultyCluster, record_property) -> Iterator[None]:
    """The workers' log lines about store connections (failed pre-pings, disconnects,
    programming errors with their statement) written during the test."""
    logs = {name: faulty.workers.log_dir / f"{name}.log" for name in ("w1", "w2")}
    start = {name: log.stat().st_size if log.exists() else 0 for name, log in logs.items()}
    yield
    lines = []
    for name, log in logs.items():
        if not log.exists():
            continue
        with log.open("rb") as handle:
            size = log.stat().st_size
            handle.seek(start[name] if size >= start[name] else 0)  # a restart truncates it
            text = handle.read().decode(errors="replace")
        lines += [
            f"{name}: {line[:LOGGED_LINE_CHARACTERS]}"
            for line in text.splitlines()
            if STORE_LOG_MARK in line
        ]
    record_property("store_connection_events", lines)
