"""`lsat db ...`: the run store's schema.

The store is the one at LSAT_DATABASE_URL, or the SQLite file in LSAT_DATA_DIR by default.
"""

from __future__ import annotations

import typer

from lsat_core.settings import Settings
from lsat_core.store import current_revision, head_revision, upgrade
from lsat_core.store.engine import parse_database_url

db_app = typer.Typer(
    name="db",
    help="The run store (SQLite in the data folder, or PostgreSQL by LSAT_DATABASE_URL).",
    no_args_is_help=True,
)


@db_app.callback()
def db() -> None:
    """The run store's schema."""


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Create the store's tables, or migrate them to this version of LSAT Studio."""
    database_url = Settings.from_env().database_url
    shown = parse_database_url(database_url).render_as_string(hide_password=True)
    before = current_revision(database_url)
    upgrade(database_url)
    after = current_revision(database_url)
    change = "already at" if before == after else f"{before or 'empty'} ->"
    typer.echo(f"{shown}: {change} revision {after} (newest {head_revision()})")
