"""An experiment on the real ML-1M stream, driven by the tiny random-weight LLM."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from ml1m_data_dir import ml1m_settings
from tiny_llm import tiny_experiment

from lsat_core.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, ml1m_cache: Path) -> Settings:
    """A fresh data dir (store, artifacts) whose cache reuses the built stream."""
    return ml1m_settings(tmp_path, ml1m_cache)


@pytest.fixture
def tiny_config(tiny_model_dir: Path):
    return partial(tiny_experiment, tiny_model_dir)
