"""Store fixtures: every store test runs on SQLite (a file) and on PostgreSQL (a private schema).

`postgres_store_url` is reusable by any test that needs a PostgreSQL-backed store: it yields the
URL of a freshly created schema in the shared test database (other sessions may be using that
database at the same time) and drops the schema afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lsat_core.store import (
    create_experiment,
    get_or_create_run,
    make_engine,
    session_scope,
    temporary_schema,
    upgrade,
)


@pytest.fixture
def sqlite_store_url(tmp_path: Path) -> str:
    # A folder that does not exist yet: make_engine must create it.
    return f"sqlite:///{tmp_path / 'store' / 'lsat.db'}"


@pytest.fixture
def postgres_store_url(postgres_url: str) -> Iterator[str]:
    with temporary_schema(postgres_url) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each backend in turn."""
    name = "sqlite_store_url" if request.param == "sqlite" else "postgres_store_url"
    return request.getfixturevalue(name)


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An engine on a store migrated to head."""
    upgrade(store_url)
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def run_ids(engine: Engine) -> tuple[int, int]:
    """(experiment id, run id) of one committed pending run."""
    with session_scope(engine) as session:
        experiment = create_experiment(session, name="cmp", protocol="next_period", config={})
        run = get_or_create_run(
            session,
            key="run-key",
            experiment_id=experiment.id,
            name="Fine-tuning",
            strategy="fine_tuning",
            backbone="smollm2-135m",
            protocol="next_period",
            config={"strategy": "fine_tuning", "lr": 1e-3},
            seed=0,
        )
        return experiment.id, run.id
