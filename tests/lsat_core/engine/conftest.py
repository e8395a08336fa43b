"""An experiment on the real ML-1M stream, driven by the tiny random-weight LLM."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from tiny_llm import tiny_experiment

from lsat_core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, ml1m_cache: Path) -> Settings:
    """A fresh data dir (store, artifacts) whose cache reuses the built stream."""
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.cache_dir.mkdir(parents=True)
    for name in ("wheels", "streams", "datasets"):
        if (ml1m_cache / name).exists():
            (settings.cache_dir / name).symlink_to(ml1m_cache / name)
    return settings


@pytest.fixture
def tiny_config(tiny_model_dir: Path):
    return partial(tiny_experiment, tiny_model_dir)
