"""`lsat tag`, `lsat note`, `lsat archive`, `lsat delete`: keeping the store's experiments in order
(`lsat_core.store.experiment_admin`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.orm import Session

from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.experiment_admin import (
    add_tags,
    delete_experiment,
    remove_model_folders,
    remove_tags,
    set_archived,
    set_note,
)

_T = TypeVar("_T")
ExperimentArgument = Annotated[int, typer.Argument(help="Experiment id.")]


def register(app: typer.Typer) -> None:
    for name, command in (("tag", tag), ("note", note), ("archive", archive), ("delete", delete)):
        app.command(name)(command)


def _in_store(work: Callable[[Session], _T]) -> _T:
    engine = make_engine(Settings.from_env().database_url)
    try:
        with session_scope(engine) as session:
            return work(session)
    finally:
        engine.dispose()


def tag(
    experiment_id: ExperimentArgument,
    tags: Annotated[list[str], typer.Argument(help="Tags, e.g. paper ml-1m.")],
    remove: Annotated[bool, typer.Option("--remove", help="Take these tags off.")] = False,
) -> None:
    """Put tags on an experiment (or take them off with --remove); the pickers filter by them."""
    change = remove_tags if remove else add_tags
    now = _in_store(lambda session: change(session, experiment_id, tags))
    typer.echo(f"experiment {experiment_id}: tags {', '.join(now) if now else '(none)'}")


def note(
    experiment_id: ExperimentArgument,
    text: Annotated[str, typer.Argument(help='The note; "" clears it.')],
) -> None:
    """Set the note shown with an experiment on the dashboard."""
    kept = _in_store(lambda session: set_note(session, experiment_id, text))
    typer.echo(f"experiment {experiment_id}: " + ("note cleared" if kept is None else "note set"))


def archive(
    experiment_id: ExperimentArgument,
    undo: Annotated[bool, typer.Option("--undo", help="Bring it back into the pickers.")] = False,
) -> None:
    """Hide an experiment from the dashboard's pickers (its results stay; --undo shows it again)."""
    _in_store(lambda session: set_archived(session, experiment_id, not undo))
    typer.echo(f"experiment {experiment_id}: " + ("unarchived" if undo else "archived"))


def delete(
    experiment_id: ExperimentArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for a confirmation.")] = False,
) -> None:
    """Delete a finished experiment with its runs, results and predictions that no other
    experiment shares, and the models it trained when no other experiment replays its streams."""
    if not yes:
        typer.confirm(f"Delete experiment {experiment_id}? This cannot be undone", abort=True)
    deletion = _in_store(lambda session: delete_experiment(session, experiment_id))
    removed = remove_model_folders(deletion.model_folders, Settings.from_env().artifacts_dir)
    typer.echo(
        f"experiment {experiment_id} deleted: {len(deletion.runs_deleted)} runs, "
        f"{len(deletion.models_deleted)} models ({len(removed)} folders removed); "
        f"{len(deletion.runs_kept)} runs kept (other experiments share them)"
    )
