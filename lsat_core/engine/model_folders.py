"""Where a trained model's files live: one immutable folder per content, checked before use.

A model of key K is written to `<models>/K/.staging-<random>` by its family's `save`, a manifest
of every file (size and SHA-256) is added last, and the whole folder is renamed to
`<models>/K/<content hash>`. So:

- a folder that a ready row points at is never rewritten or moved while it is whole: a reader
  loading it while another writer saves the same key finds every file (issue 15, item 3);
- a second writer of the same content keeps the first writer's folder when that folder is
  complete, and replaces it when it is not (files deleted behind the store's back: the model is
  retrained into the same path, README "The data folder");
- the store's row switches to the folder in the transaction that marks it ready
  (`complete_artifact`), and only then are the key's other folders collected: no row points at
  them (a key has one row).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from lsat_core.errors import InputError

MANIFEST_FILE = "lsat_manifest.json"
"""Written last into a model folder: every other file with its size and SHA-256."""
STAGING_PREFIX = ".staging-"
ASIDE_PREFIX = ".incomplete-"
CONTENT_NAME_LENGTH = 16
"""Hex digits of the content hash that name a model's folder."""
RENAME_ATTEMPTS = 5
"""Writers replacing one incomplete folder at once: each try loses only to another's rename."""


def write_model_folder(key_dir: Path, save: Callable[[Path], str]) -> tuple[Path, str]:
    """Write a model with `save(folder) -> content sha256` into `key_dir/<content hash>`, whole
    or not at all; returns (that folder, the content sha256)."""
    staging = key_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    key_dir.mkdir(parents=True, exist_ok=True)
    try:
        sha256 = save(staging)
        _write_manifest(staging)
        final = key_dir / sha256[:CONTENT_NAME_LENGTH]
        for _ in range(RENAME_ATTEMPTS):
            try:
                staging.rename(final)
                return final, sha256
            except OSError:
                if not final.exists():
                    raise
            if folder_problem(final) is None:
                return final, sha256  # another writer stored the same content first
            _move_aside(final)
        raise OSError(f"{final}: kept being replaced by other writers")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def folder_problem(folder: Path) -> str | None:
    """What makes `folder` unusable (a missing, resized or changed file), or None when every file
    its manifest lists is there as written. A folder without a manifest (written before
    manifests existed) is left to the family's own checks on load."""
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
    except FileNotFoundError:
        return None if folder.is_dir() and any(folder.iterdir()) else "no model folder"
    except (OSError, ValueError) as exc:
        return f"unreadable {MANIFEST_FILE} ({exc})"
    for name, expected in sorted(manifest["files"].items()):
        path = folder / name
        try:
            if path.stat().st_size != expected["size"]:
                return f"{name} has {path.stat().st_size} bytes, not {expected['size']}"
            if _sha256(path) != expected["sha256"]:
                return f"{name} does not match its recorded SHA-256"
        except OSError as exc:
            return f"missing or unreadable {name} ({type(exc).__name__})"
    return None


def check_model_folder(folder: Path) -> None:
    """Raise InputError naming what is wrong with `folder` (see `folder_problem`)."""
    problem = folder_problem(folder)
    if problem is not None:
        raise InputError(problem, where=folder)


def collect_other_folders(current: Path, *, staging_older_than: timedelta) -> None:
    """Delete the key's folders other than `current`, which its ready row now points at, and
    staging folders left by writers dead for longer than `staging_older_than`."""
    cutoff = time.time() - staging_older_than.total_seconds()
    for sibling in current.parent.iterdir():
        if sibling == current:
            continue
        if sibling.name.startswith(STAGING_PREFIX) and sibling.stat().st_mtime > cutoff:
            continue  # another writer of this key may be saving into it now
        if sibling.is_dir():
            shutil.rmtree(sibling, ignore_errors=True)
        else:  # a model saved flat into the key's folder, before content folders
            sibling.unlink(missing_ok=True)


def _write_manifest(folder: Path) -> None:
    files = {
        str(path.relative_to(folder)): {"size": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    (folder / MANIFEST_FILE).write_text(json.dumps({"files": files}, indent=2, sort_keys=True))


def _move_aside(folder: Path) -> None:
    aside = folder.with_name(f"{ASIDE_PREFIX}{uuid.uuid4().hex}")
    try:
        folder.rename(aside)
    except FileNotFoundError:
        return  # another writer moved it first
    shutil.rmtree(aside, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
