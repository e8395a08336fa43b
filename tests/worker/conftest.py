"""Fixtures of the worker tests: a migrated SQLite store and experiments in it; the small
comparison and its in-process reference (from tests/support/live_workers.py, which
tests/faults shares)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from live_workers import reference_results, tiny_config
from sqlalchemy import Engine

from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.runs import create_experiment, get_or_create_run

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
    return lambda *strategies: _add_experiment(engine, strategies)


def _add_experiment(engine: Engine, strategies: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    """A stored experiment with one pending run per strategy (configs are placeholders)."""
    with session_scope(engine) as session:
        experiment = create_experiment(
            session, name="test", protocol="next-period", config={"strategies": strategies}
        )
        runs = {
            strategy: get_or_create_run(
                session,
                key=f"{strategy}-{experiment.id}",
                experiment_id=experiment.id,
                name=strategy,
                strategy=strategy,
                backbone="tiny",
                protocol="next-period",
                config={"strategy": strategy},
                seed=0,
            ).id
            for strategy in strategies
        }
        return experiment.id, runs
