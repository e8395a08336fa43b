"""Paths that users type: confined to the data dir where they come from a browser, and a backbone
path checked to be a model folder before anything is queued.

The CLI is a local, trusted user: its paths may point anywhere (`root=None`). The dashboard is
reached over a network: a path typed in its form must resolve, symbolic links followed, inside
the data dir (relative paths are read from there), or the value must be a Hugging Face hub id
or a registered name, which name no local file.

Only what can be checked without torch is checked here (the dashboard never imports it): the
folder holds a readable config.json with a model type. Whether that type is a causal LM, and
the weights and tokenizer, are checked when a worker loads the backbone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from lsat_core.errors import InputError

# huggingface_hub's validate_repo_id: "name" or "owner/name", word characters, "-" and ".",
# starting and ending with a word character, no "--" or "..". Registered names fit it too.
_HUB_ID = re.compile(r"^(\b[\w\-.]+\b/)?\b[\w\-.]{1,96}\b$")
MODEL_FILES = "config.json, weights, tokenizer"


def confined(path: str | Path, root: Path, *, where: str) -> Path:
    """`path` resolved (relative to `root`, links followed); InputError unless inside `root`."""
    root = Path(root).resolve()
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not resolved.is_relative_to(root):
        raise InputError(f"{path} is outside the data dir {root}", where=where)
    return resolved


def is_hub_id(name: str) -> bool:
    return bool(_HUB_ID.match(name)) and "--" not in name and ".." not in name


def checked_backbone(name: str, *, root: Path | None = None) -> str:
    """The backbone name to store: a hub id or registered name as given, a local folder as its
    absolute path once it is known to hold a model. `root`: confine local paths to it."""
    name = name.strip()
    if root is None:
        path = Path(name).expanduser()
        looks_local = path.exists() or name.startswith(("/", ".", "~")) or name.count("/") > 1
    else:
        path = Path(name) if Path(name).is_absolute() else Path(root) / name
        looks_local = path.exists() or not is_hub_id(name)
    if not looks_local:
        return name  # a hub id or a registered name: the worker fetches or converts it
    if root is not None:
        path = confined(name, root, where="backbone")
    return str(_model_folder(path.resolve(), name))


def _model_folder(path: Path, name: str) -> Path:
    """`path` if it is a folder whose config.json names a model type."""
    if not path.exists():
        raise InputError(f"{name}: no such model folder", where="backbone")
    if not path.is_dir():
        raise InputError(f"{name} is a file, not a model folder ({MODEL_FILES})", where="backbone")
    config = path / "config.json"
    if not config.is_file():
        raise InputError(f"{name} is not a model folder: no config.json", where="backbone")
    try:
        values = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{config} cannot be read as JSON ({exc})", where="backbone") from exc
    if not isinstance(values, dict) or not isinstance(values.get("model_type"), str):
        raise InputError(f"{config} names no model_type", where="backbone")
    return path
