"""A ready model's files never disappear while its row points at them (issue 15, item 3).

A reader loads a ready model while a second writer saves the same key (a task delivered twice,
or two workers racing), over and over: every load finds whole files, so nothing is marked
unusable and nothing is retrained.
"""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lsat_core.engine.model_folders import (
    MANIFEST_FILE,
    check_model_folder,
    collect_other_folders,
    folder_problem,
    write_model_folder,
)
from lsat_core.engine.model_specs import FULL, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.errors import InputError
from lsat_core.store.artifacts import complete_artifact
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact, ArtifactStatus

PARTS = ("weights.bin", "config.json")
SPEC = ModelSpec(family="slow", role=FULL, period=2)


class SlowFamily:
    """Writes a model as two files with a pause between them, as a real save writes a weights
    file and then its metadata: a save into a folder a reader uses is seen half-written."""

    def key_config(self, spec: ModelSpec) -> dict[str, Any]:
        return {}

    def save(self, model: bytes, directory: Path) -> str:
        directory.mkdir(parents=True, exist_ok=True)
        for part in PARTS:
            (directory / part).write_bytes(model)
            time.sleep(0.002)
        return hashlib.sha256(model).hexdigest()

    def load(self, directory: Path) -> bytes:
        contents = set()
        for part in PARTS:
            try:
                contents.add((directory / part).read_bytes())
            except FileNotFoundError as exc:
                raise InputError(f"missing {part}", where=directory) from exc
        if len(contents) != 1 or not next(iter(contents)):
            raise InputError("half-written model", where=directory)
        return contents.pop()


class StorageBench(Workbench):
    """A workbench whose one model has a fixed key: what is tested here is how a model is
    stored and loaded, not what its key is made of (which needs a real stream)."""

    def model_key(self, spec: ModelSpec) -> str:
        return "slow-t2-fixed"


def bench(engine: Any, models_dir: Path, owner: str) -> Workbench:
    return StorageBench(
        config=None,  # type: ignore[arg-type]
        stream=None,  # type: ignore[arg-type]
        families={"slow": SlowFamily()},  # type: ignore[dict-item]
        engine=engine,
        models_dir=models_dir,
        owner=owner,
    )


def test_a_reader_never_sees_a_ready_model_replaced_while_another_writer_saves_it(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    models_dir = tmp_path / "models"
    writer = bench(engine, models_dir, owner="first-writer")
    key = writer.model_key(SPEC)
    model = b"the trained weights" * 1000
    family = writer.family("slow")
    assert writer._claim(SPEC, key, family).acquired
    path, sha256 = write_model_folder(models_dir / key, lambda folder: family.save(model, folder))
    with session_scope(engine) as session:
        complete_artifact(session, key, writer.owner, path=str(path), sha256=sha256, metrics={})

    stop, saves = threading.Event(), []

    def save_again() -> None:  # the second writer of the same key and content
        while not stop.is_set():
            saves.append(
                write_model_folder(models_dir / key, lambda folder: family.save(model, folder))
            )

    second = threading.Thread(target=save_again)
    second.start()
    try:
        for reader in range(200):
            loaded = bench(engine, models_dir, owner=f"reader-{reader}").model(SPEC)
            assert (loaded.model, loaded.trained_now) == (model, False)
    finally:
        stop.set()
        second.join()

    assert len(saves) > 10 and set(saves) == {(path, sha256)}
    with session_scope(engine) as session:
        artifact = session.scalars(select(Artifact).where(Artifact.key == key)).one()
    assert (artifact.status, artifact.error, artifact.path) == (
        ArtifactStatus.READY,
        None,
        str(path),
    )
    assert sorted(p.name for p in (models_dir / key).iterdir()) == [path.name]
    engine.dispose()


def test_a_folder_with_a_file_missing_is_replaced_by_the_next_writer_of_its_content(
    tmp_path: Path,
) -> None:
    """The fault of tests/faults' missing-on-disk test: a ready model's weights are deleted and
    its retraining (the same content) must not keep the broken folder."""
    family, model, key_dir = SlowFamily(), b"weights" * 100, tmp_path / "models" / "key"
    path, sha256 = write_model_folder(key_dir, lambda folder: family.save(model, folder))
    assert sorted(p.name for p in path.iterdir()) == sorted([*PARTS, MANIFEST_FILE])
    (path / PARTS[0]).unlink()
    with pytest.raises(InputError, match=f"missing or unreadable {PARTS[0]}"):
        check_model_folder(path)

    again = write_model_folder(key_dir, lambda folder: family.save(model, folder))
    assert again == (path, sha256)
    check_model_folder(path)
    assert family.load(path) == model
    assert [p.name for p in key_dir.iterdir()] == [path.name]  # nothing staged or set aside left


def test_a_changed_file_is_found_and_the_ready_folder_alone_is_kept(tmp_path: Path) -> None:
    family, key_dir = SlowFamily(), tmp_path / "key"
    old, _ = write_model_folder(key_dir, lambda folder: family.save(b"old", folder))
    new, _ = write_model_folder(key_dir, lambda folder: family.save(b"new", folder))
    (new / PARTS[1]).write_bytes(b"NEW")
    assert "does not match its recorded SHA-256" in (folder_problem(new) or "")
    live_staging = key_dir / ".staging-writing-now"
    live_staging.mkdir()
    collect_other_folders(new, staging_older_than=timedelta(hours=1))
    assert sorted(p.name for p in key_dir.iterdir()) == sorted([new.name, live_staging.name])
    assert not old.exists()
