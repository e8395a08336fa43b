"""An experiment on the real ML-1M stream, driven by the tiny random-weight LLM."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.presets import preset_config
from lsat_core.llm.backbone import BackboneConfig
from lsat_core.llm.training import LoraTrainConfig
from lsat_core.settings import Settings

TINY_LORA = LoraTrainConfig(
    micro_batch_size=8, accumulation_steps=1, epochs=1, eval_every=1, eval_batch_size=16
)
TINY_BUDGET = SampleBudget(train_per_period=16, val_per_period=16, test_per_period=24)


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
    def make(strategies: tuple[str, ...], **overrides):
        values = {
            "backbone": BackboneConfig(name_or_path=str(tiny_model_dir)),
            "budget": TINY_BUDGET,
            "lora": TINY_LORA,
            "long_term_period": 2,
            "update_periods": (2, 3),
            **overrides,
        }
        return preset_config("quick", strategies, **values)

    return make
