"""LoRA adapters as plain data: their shape, their tensors (CPU, float32) and where they came from.

Weights are keyed as PEFT's `get_peft_model_state_dict` keys them (``base_model.model.<module>.
lora_A.weight``, adapter name stripped), so a saved folder is also a regular PEFT adapter folder
(`adapter_model.safetensors` + `adapter_config.json`) that `PeftModel.from_pretrained` can load.
Our own `lsat_adapter.json` beside them carries the shape, a content hash and the provenance
(training config, seed, merge coefficients) every artifact must carry (STYLE habit 3).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from lsat_core.configs import config_from_dict, config_to_dict
from lsat_core.errors import InputError
from lsat_core.llm.configs import LoraShape

WEIGHTS_FILE = "adapter_model.safetensors"
PEFT_CONFIG_FILE = "adapter_config.json"
METADATA_FILE = "lsat_adapter.json"


@dataclass(frozen=True, eq=False)
class Adapter:
    shape: LoraShape
    weights: Mapping[str, torch.Tensor]
    """PEFT state-dict keys -> CPU tensors (lora_A: [r, in], lora_B: [out, r])."""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    """JSON-safe record of how it was made (training config and seed, or merge inputs)."""

    def content_hash(self) -> str:
        """SHA-256 over the shape and every tensor (names, dtypes, sizes, bytes), key order free."""
        digest = hashlib.sha256(json.dumps(config_to_dict(self.shape), sort_keys=True).encode())
        for key in sorted(self.weights):
            tensor = self.weights[key].detach().to("cpu").contiguous()
            digest.update(f"{key}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
            digest.update(tensor.view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()


def save_adapter(adapter: Adapter, directory: Path) -> Path:
    """Write `adapter` to the new folder `directory`, complete or not at all.

    A folder is written once and never replaced, so a reader never finds it half-gone: an
    identical, complete adapter already there is kept, anything else there is an InputError.
    The workbench gives each model a new folder named by its content (engine/model_folders.py).
    """
    directory = Path(directory)
    content_hash = adapter.content_hash()
    if directory.exists():
        return _same_adapter_or_error(directory, content_hash)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}."))
    try:
        tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in adapter.weights.items()}
        save_file(tensors, str(tmp / WEIGHTS_FILE), metadata={"sha256": content_hash})
        adapter.shape.lora_config().save_pretrained(str(tmp))
        metadata = {
            "shape": config_to_dict(adapter.shape),
            "sha256": content_hash,
            "provenance": adapter.provenance,
        }
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True))
        try:
            tmp.rename(directory)  # fails, replacing nothing, if another writer got there first
        except OSError:
            if not directory.exists():
                raise
            return _same_adapter_or_error(directory, content_hash)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return directory


def load_adapter(directory: Path) -> Adapter:
    """Read an adapter written by `save_adapter`, checking its content hash."""
    directory = Path(directory)
    meta_path = directory / METADATA_FILE
    try:
        metadata = json.loads(meta_path.read_text())
        shape = config_from_dict(LoraShape, metadata["shape"])
        weights = load_file(str(directory / WEIGHTS_FILE))
    except FileNotFoundError as exc:
        raise InputError(
            # safetensors raises it without a filename
            f"not an adapter folder (missing {Path(exc.filename or WEIGHTS_FILE).name})",
            where=directory,
        ) from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise InputError(f"unreadable adapter metadata ({exc})", where=meta_path) from exc
    adapter = Adapter(shape=shape, weights=weights, provenance=metadata.get("provenance", {}))
    if adapter.content_hash() != metadata["sha256"]:
        raise InputError("adapter weights do not match their recorded SHA-256", where=directory)
    return adapter


def _same_adapter_or_error(directory: Path, content_hash: str) -> Path:
    """`directory` if it holds this very adapter, whole (its weights read back and hashed)."""
    try:
        stored = load_adapter(directory).content_hash()
    except InputError:
        stored = None
    if stored != content_hash:
        raise InputError(
            "holds another adapter (or an incomplete one); adapter folders are written once",
            where=directory,
        )
    return directory
