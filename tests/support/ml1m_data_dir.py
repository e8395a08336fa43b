"""A fresh data folder whose cache links the test cache's built ML-1M stream, wheels and
datasets, so a test that runs an experiment on the real stream does not rebuild it."""

from __future__ import annotations

from pathlib import Path

from lsat_core.settings import Settings


def data_dir_with_cache(root: Path, cache: Path) -> Path:
    """A fresh data folder (store, broker, adapters) reusing the built stream and wheels."""
    data = root / "data"
    (data / "cache").mkdir(parents=True)
    for name in ("wheels", "streams", "datasets"):
        if (cache / name).exists():
            (data / "cache" / name).symlink_to(cache / name)
    return data


def ml1m_settings(root: Path, cache: Path) -> Settings:
    """The settings of `data_dir_with_cache(root, cache)`."""
    return Settings.for_data_dir(data_dir_with_cache(root, cache))
