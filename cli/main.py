"""Entry point of the `lsat` command: one Typer app, one sub-app per area.

Errors a user can act on (`LsatError`) print as one line on stderr with exit code 2.
"""

from __future__ import annotations

import sys

import typer

from cli.data_commands import data_app
from cli.db_commands import db_app
from cli.experiment_admin_commands import register as register_experiment_admin_commands
from cli.report_command import report
from cli.resume_command import resume
from cli.run_command import run
from cli.strategies_command import strategies
from cli.worker_commands import register as register_worker_commands
from lsat_core.errors import LsatError

app = typer.Typer(
    name="lsat",
    help="LSAT Studio: simulate incremental updates of LLM recommenders over a real stream.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
app.add_typer(db_app, name="db")
app.command("run")(run)
app.command("report")(report)
app.command("resume")(resume)
app.command("strategies")(strategies)
register_worker_commands(app)
register_experiment_admin_commands(app)


def main() -> None:
    try:
        app()
    except LsatError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
