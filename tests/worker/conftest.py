"""Fixtures of the worker tests: a migrated SQLite store and experiments in it; the small
comparison and its in-process reference (from tests/support/live_workers.py, which
tests/faults shares)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import stored_runs
from live_workers import reference_results, tiny_config
from sqlalchemy import Engine

from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine
from lsat_core.store.migrate import upgrade

__all__ = ["reference_results", "tiny_config"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults in a fresh data folder (SQLite store, filesystem broker), migrated."""
    settings = Settings.for_data_dir(tmp_path / "data")
    upgrade(settings.database_url)
    return settings


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def add_experiment(engine: Engine) -> Callable[..., tuple[int, dict[str, int]]]:
    return lambda *strategies: stored_runs.add_experiment(engine, strategies)


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for the test, as a worker process runs it."""
    import torch  # here, so that the worker tests that run no model do not load torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
