from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect

from lsat_core.store import current_revision, head_revision, make_engine, upgrade
from lsat_core.store.migrate import alembic_config
from lsat_core.store.models import Base

TABLES = {
    "alembic_version",
    "artifacts",
    "events",
    "experiment_runs",
    "experiments",
    "period_results",
    "progress",
    "runs",
    "streams",
}


def _differences(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_creates_every_table_at_head_and_is_idempotent(store_url: str) -> None:
    assert current_revision(store_url) is None
    upgrade(store_url)
    upgrade(store_url)
    assert current_revision(store_url) == head_revision() == "0001"
    engine = make_engine(store_url)
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


def test_migrations_build_exactly_what_the_models_declare(engine: Engine) -> None:
    assert _differences(engine, Base.metadata) == []


def test_a_model_change_without_a_migration_is_detected(engine: Engine) -> None:
    # The comparison above must be able to fail: a column the migrations lack shows up.
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    Table("runs", changed, Column("priority", Integer), extend_existing=True)
    differences = _differences(engine, changed)
    assert [(kind, column.name) for kind, _, _, column in differences] == [
        ("add_column", "priority")
    ]


def test_downgrade_to_base_removes_every_table(engine: Engine, store_url: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(store_url)
    assert current_revision(store_url) == head_revision()


def test_processes_starting_together_can_all_upgrade(store_url: str) -> None:
    # Each opens the new file and switches it to WAL: all but one find it locked at first.
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(upgrade, [store_url] * 6))
    assert current_revision(store_url) == head_revision()
