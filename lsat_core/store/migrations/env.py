"""Alembic environment of the run store.

Run by `lsat_core.store.migrate.upgrade` with an open connection in `config.attributes`, or by the
alembic command line for new revisions (see `lsat_core/store/alembic.ini`) with `-x url=...`.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from lsat_core.store.engine import make_engine
from lsat_core.store.models import Base, UtcDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Revisions must not import today's models: UtcDateTime only converts values in Python, the
    # column itself is a plain timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_command_line() -> None:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit(
            "pass the database with: alembic -c lsat_core/store/alembic.ini -x url=URL"
        )
    engine = make_engine(url, enforce_foreign_keys=False)
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; give a database URL with -x")
if "connection" in config.attributes:
    run_migrations(config.attributes["connection"])
else:
    run_from_command_line()
