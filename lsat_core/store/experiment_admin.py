"""Keeping a store of experiments in order: tags, a note, archiving and deleting (issue 12, item 6).

None of these functions commit: the caller's transaction decides. Tags are a keyed pair
(`ExperimentTag`), so adding one twice is a no-op; archiving only hides an experiment from the
pickers, deleting removes it with what nobody else uses:
- its runs that no other experiment shares (their results, predictions, events and progress go
  with them: every child table cascades on the run), and
- the models its own tasks trained, when no remaining experiment replays one of its streams.
  A model's key includes its stream's key (`Workbench.model_key`), so any other user of such a
  model replays that stream; models of other streams are never touched. The model folders are
  returned for the caller to remove once the transaction has committed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lsat_core.errors import InputError
from lsat_core.store.keyed import dialect_insert
from lsat_core.store.lifecycle import ACTIVE
from lsat_core.store.models import (
    Artifact,
    Experiment,
    ExperimentRun,
    ExperimentTag,
    Run,
    utcnow,
)

TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.:/+-]{0,63}")
"""Lower case letters, digits and _ . : / + -, up to 64 characters: tags are typed in a shell."""
MAX_NOTE_CHARACTERS = 10_000
TASK_OWNER_PREFIX = "celery-task:e{experiment_id}-"
"""How a worker task of the experiment claims the models it trains (`worker.jobs.task_owner`
of the task ids in `worker.canvas`)."""


def normalized_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """The tags lower-cased and stripped, each once, sorted; a clear error names a bad one."""
    found = set()
    for raw in tags:
        tag = raw.strip().lower()
        if not TAG_PATTERN.fullmatch(tag):
            raise InputError(
                f"{raw!r} is not a tag: use 1 to 64 lower case letters, digits and _ . : / + - "
                "(starting with a letter or digit)",
                where="tag",
            )
        found.add(tag)
    return tuple(sorted(found))


def existing_experiment(session: Session, experiment_id: int) -> Experiment:
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise InputError(f"no experiment #{experiment_id} in the store", where="experiment")
    return experiment


def tags_of(session: Session, experiment_id: int) -> tuple[str, ...]:
    statement = select(ExperimentTag.tag).where(ExperimentTag.experiment_id == experiment_id)
    return tuple(sorted(session.scalars(statement)))


def add_tags(session: Session, experiment_id: int, tags: Iterable[str]) -> tuple[str, ...]:
    """Put `tags` on the experiment (those it has stay); its tags after."""
    wanted = normalized_tags(tags)
    existing_experiment(session, experiment_id)
    for tag in wanted:
        session.execute(
            dialect_insert(session, ExperimentTag)
            .values(experiment_id=experiment_id, tag=tag)
            .on_conflict_do_nothing(index_elements=["experiment_id", "tag"])
        )
    return tags_of(session, experiment_id)


def remove_tags(session: Session, experiment_id: int, tags: Iterable[str]) -> tuple[str, ...]:
    """Take `tags` off the experiment (one it does not have is ignored); its tags after."""
    unwanted = normalized_tags(tags)
    existing_experiment(session, experiment_id)
    session.execute(
        delete(ExperimentTag).where(
            ExperimentTag.experiment_id == experiment_id,
            ExperimentTag.tag.in_(unwanted),
        )
    )
    return tags_of(session, experiment_id)


def set_tags(session: Session, experiment_id: int, tags: Iterable[str]) -> tuple[str, ...]:
    """Make `tags` the experiment's tags exactly (the dashboard's editor)."""
    wanted = normalized_tags(tags)
    remove_tags(session, experiment_id, set(tags_of(session, experiment_id)) - set(wanted))
    return add_tags(session, experiment_id, wanted)


def set_note(session: Session, experiment_id: int, note: str | None) -> str | None:
    """Replace the experiment's note; an empty one clears it."""
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE_CHARACTERS:
        raise InputError(f"{len(text):,} characters; at most {MAX_NOTE_CHARACTERS:,}", where="note")
    existing_experiment(session, experiment_id).note = text
    session.flush()
    return text


def set_archived(session: Session, experiment_id: int, archived: bool) -> Experiment:
    """Archive the experiment (hidden from the pickers unless asked) or bring it back."""
    experiment = existing_experiment(session, experiment_id)
    if archived and experiment.archived_at is None:
        experiment.archived_at = utcnow()
    elif not archived:
        experiment.archived_at = None
    session.flush()
    return experiment


def tags_by_experiment(session: Session) -> dict[int, tuple[str, ...]]:
    """Every tagged experiment's tags, sorted."""
    found: dict[int, list[str]] = {}
    statement = select(ExperimentTag.experiment_id, ExperimentTag.tag).order_by(
        ExperimentTag.experiment_id, ExperimentTag.tag
    )
    for experiment_id, tag in session.execute(statement):
        found.setdefault(experiment_id, []).append(tag)
    return {experiment_id: tuple(tags) for experiment_id, tags in found.items()}


@dataclass(frozen=True)
class RunLabels:
    strategies: tuple[str, ...]
    backbones: tuple[str, ...]


def run_labels_by_experiment(session: Session) -> Mapping[int, RunLabels]:
    """The strategies and backbones of every experiment's runs (what the pickers filter on)."""
    statement = select(ExperimentRun.experiment_id, Run.strategy, Run.backbone).join(
        Run, Run.id == ExperimentRun.run_id
    )
    strategies: dict[int, set[str]] = {}
    backbones: dict[int, set[str]] = {}
    for experiment_id, strategy, backbone in session.execute(statement):
        strategies.setdefault(experiment_id, set()).add(strategy)
        backbones.setdefault(experiment_id, set()).add(backbone)
    return {
        experiment_id: RunLabels(tuple(sorted(names)), tuple(sorted(backbones[experiment_id])))
        for experiment_id, names in strategies.items()
    }


@dataclass(frozen=True)
class Deletion:
    experiment_id: int
    runs_deleted: tuple[int, ...]
    runs_kept: tuple[int, ...]
    """Runs another experiment shares: they stay, with their results."""
    models_deleted: tuple[str, ...]
    """Keys of the model rows deleted."""
    model_folders: tuple[str, ...]
    """Their folders on disk, for the caller to remove after the commit."""


def delete_experiment(session: Session, experiment_id: int) -> Deletion:
    """Delete a finished experiment and what only it uses (see the module's docstring)."""
    experiment = existing_experiment(session, experiment_id)
    if experiment.status in ACTIVE:
        raise InputError(
            f"experiment #{experiment_id} is {experiment.status}: cancel it first "
            f"(`lsat cancel {experiment_id}`)",
            where="experiment",
        )
    members = select(ExperimentRun.run_id).where(ExperimentRun.experiment_id == experiment_id)
    shared = set(
        session.scalars(
            select(ExperimentRun.run_id).where(
                ExperimentRun.run_id.in_(members), ExperimentRun.experiment_id != experiment_id
            )
        )
    )
    run_ids = set(session.scalars(members))
    streams = set(
        session.scalars(
            select(Run.stream_id).where(Run.id.in_(run_ids), Run.stream_id.is_not(None))
        )
    )
    other_stream_users = session.scalars(
        select(ExperimentRun.experiment_id)
        .join(Run, Run.id == ExperimentRun.run_id)
        .where(Run.stream_id.in_(streams), ExperimentRun.experiment_id != experiment_id)
        .limit(1)
    ).first()
    models: list[Artifact] = []
    if streams and other_stream_users is None:
        owner = TASK_OWNER_PREFIX.format(experiment_id=experiment_id)
        models = list(
            session.scalars(select(Artifact).where(Artifact.claimed_by.startswith(owner)))
        )
    deleted_runs = tuple(sorted(run_ids - shared))
    session.execute(delete(Run).where(Run.id.in_(deleted_runs)))
    session.execute(delete(Artifact).where(Artifact.id.in_([m.id for m in models])))
    session.delete(experiment)
    session.flush()
    return Deletion(
        experiment_id=experiment_id,
        runs_deleted=deleted_runs,
        runs_kept=tuple(sorted(shared)),
        models_deleted=tuple(sorted(m.key for m in models)),
        model_folders=tuple(sorted(m.path for m in models if m.path)),
    )


def remove_model_folders(folders: Iterable[str], artifacts_dir: Path) -> list[Path]:
    """Remove the folders a `Deletion` names (a relative path lies in `artifacts_dir`); only
    folders inside `artifacts_dir` are touched, so a stored path can never remove anything else.
    Returns the folders removed."""
    root = artifacts_dir.resolve()
    removed = []
    for folder in folders:
        path = (artifacts_dir / folder).resolve()
        if path.is_dir() and path.is_relative_to(root) and path != root:
            shutil.rmtree(path)
            removed.append(path)
            # A model's folder is <models>/<key>/<content hash> (lsat_core/engine/model_folders):
            # its key's folder goes too once nothing else is in it.
            if path.parent != root and not any(path.parent.iterdir()):
                path.parent.rmdir()
    return removed
