"""`lsat resume EXPERIMENT`: resume an experiment whose queued work was lost (worker.resume)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from lsat_core.settings import Settings


def resume(
    experiment_id: Annotated[int, typer.Argument(help="Experiment id.")],
    quiet_for: Annotated[
        int,
        typer.Option(
            min=0,
            help="Resume only if nothing worked on it for this many seconds (its tasks being "
            "queued or running always keeps it as it is).",
        ),
    ] = 0,
) -> None:
    """Send an experiment's launch again when none of its tasks is queued or running (the
    broker lost them): it redoes only what the store lacks, nothing is trained twice."""
    from worker.queue_client import client_app
    from worker.resume import resume_experiment

    settings = Settings.from_env()
    app = client_app(settings)
    try:
        outcome = resume_experiment(
            settings, app, experiment_id, quiet_for=timedelta(seconds=quiet_for)
        )
    finally:
        app.close()
    verdict = "resumed" if outcome.resumed else "not resumed"
    typer.echo(f"experiment {experiment_id}: {verdict}: {outcome.reason}")
