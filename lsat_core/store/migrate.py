"""Schema migrations of the run store (Alembic, packaged in `lsat_core/store/migrations`).

Entry points call `upgrade(database_url)` before using the store; it is idempotent, runs in one
transaction (SQLite and PostgreSQL both have transactional DDL) and is serialised between
processes, so a worker and the dashboard starting together cannot both create the tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from lsat_core.store.engine import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_POSTGRES_MIGRATION_LOCK = 0x15A7_0001
"""Advisory lock id held while migrating a PostgreSQL database (SQLite's write lock suffices)."""


def alembic_config() -> Config:
    """Alembic's config for the packaged migrations (the URL travels in `attributes`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the store at `database_url` to `revision` (creating the tables on a new database)."""
    # Foreign keys off on SQLite: altering a table there means copy + drop, and the drop would
    # cascade-delete child rows (Alembic's batch mode documentation).
    engine = make_engine(database_url, enforce_foreign_keys=False)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _POSTGRES_MIGRATION_LOCK}
                )
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    """The revision the store is at; None for a database that was never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of the code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise LookupError(f"no migration revisions in {MIGRATIONS_DIR}")
    return head
