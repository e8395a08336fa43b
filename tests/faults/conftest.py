"""The fault tests' cluster: two real workers (tests/support/live_workers.py) on a private Redis
and a private PostgreSQL (tests/support/private_services.py) that the tests crash and restart."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_workers import (
    Workers,
    data_dir_with_cache,
    reference_results,
    tiny_config,
    worker_env,
)
from private_services import PG_BIN, FaultyCluster, PrivatePostgres, PrivateRedis

from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine
from lsat_core.store.migrate import upgrade

__all__ = ["reference_results", "tiny_config"]

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
            workers.start(
                name, redelivery_after=REDELIVERY_SECONDS, resume_after=RESUME_AFTER_SECONDS
            )
        workers.wait_ready("w1", "w2")
        yield FaultyCluster(settings, engine, workers, broker, database)
        engine.dispose()
    finally:
        if workers is not None:
            workers.stop_all()
        if broker.process is not None:
            broker.crash()
        database.remove()
