"""Replay and proximal fine-tuning end to end with the real SmolLM2 on a tiny slice of real
ML-1M (docs/method.md section 3): both continue the period-1 LoRA, which they share with
fine-tuning's chain, and record rows like every strategy."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.presets import preset_config
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.llm.configs import BackboneConfig
from lsat_core.llm.gguf_backbones import ensure_converted
from lsat_core.llm.training import LoraTrainConfig
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact
from lsat_core.store.queries import results_frame

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture
def converted(settings: Settings, ml1m_cache: Path) -> Settings:
    """The settings with the test cache's converted backbones too, so SmolLM2 loads in seconds
    instead of being converted again from its wheel. The shared cache's copy is made first: on a
    fresh cache nothing has converted it yet, and a link to a missing folder breaks the
    conversion's own mkdir."""
    ensure_converted(BackboneConfig().name_or_path, ml1m_cache)
    (settings.cache_dir / "backbones").symlink_to(ml1m_cache / "backbones")
    return settings


def test_smollm2_replay_and_proximal_on_a_tiny_slice(converted: Settings):
    # Models: the LoRA of D_1 (8 samples; replay@1 and proximal@1 are one model), then at t = 2
    # replay on train_2 + val_1 + the 8 samples of train_1 (24) and proximal on train_2 + val_1
    # (16), in steps of 8 so that the penalty acts from the second step; tested on 8 of D_3.
    config = preset_config(
        "quick",
        ("replay", "proximal"),
        update_periods=(2,),
        budget=SampleBudget(train_per_period=8, val_per_period=8, test_per_period=8),
        lora=LoraTrainConfig(
            micro_batch_size=8, accumulation_steps=1, epochs=1, eval_every=1, eval_batch_size=16
        ),
        updates=UpdateSettings(proximal_coefficient=1.0),  # fixed: the grid is tested apart
    )
    engine, prepared = run_experiment(config, converted, name="smollm2 replay and proximal")
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
        stored = {a.config["spec"]: a for a in session.scalars(select(Artifact))}

    model = frame[(frame["role"] == "model") & (frame["segment"] == "all")].set_index("strategy")
    assert sorted(model.index) == ["proximal", "replay"]
    assert (model["n"] == 8).all() and (model["eval_period"] == 3).all()
    assert model["auc"].between(0.0, 1.0).all()
    assert model.loc["replay", "samples_trained"] == 24
    assert model.loc["proximal", "samples_trained"] == 16
    # One period-1 model serves both chains; each chain then trains its own model at t = 2.
    assert sorted(label.rsplit("@", 1)[1] for label in stored) == ["1", "2", "2"]
    proximal = stored["lora:proximal@2"]
    assert proximal.config["proximal_coefficient"] == config.updates.proximal_coefficient
    assert proximal.config["lora"]["eval_every"] == 6  # fine-tuning's cadence (the reference's)
    assert stored["lora:replay@2"].metrics["start_val_auc"] is not None  # continued, not fresh
