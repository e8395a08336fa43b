"""The issue's end-to-end check: the real SmolLM2 on a tiny slice of real ML-1M trains, scores,
ensembles and merges, and the store holds every expected row."""

from __future__ import annotations

import pytest

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.presets import preset_config
from lsat_core.llm.training import LoraTrainConfig
from lsat_core.runner.in_process import run_experiment
from lsat_core.store.engine import session_scope
from lsat_core.store.queries import results_frame

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def test_smollm2_next_period_on_a_tiny_slice(settings):
    # Train on D_1 (16 samples), choose alpha/lambda on 8 validation samples, test on 16 of D_2.
    config = preset_config(
        "quick",
        # With m = 1, full retraining at t = 1 is also the long-term LoRA, and the short-term
        # LoRA of t = 1 trains the same: one LoRA in all.
        ("full_retrain", "lsat_en", "lsat_ta"),
        long_term_period=1,
        update_periods=(1,),
        budget=SampleBudget(train_per_period=16, val_per_period=8, test_per_period=16),
        lora=LoraTrainConfig(
            micro_batch_size=8, accumulation_steps=2, epochs=1, eval_every=1, eval_batch_size=16
        ),
    )
    engine, prepared = run_experiment(config, settings, name="smollm2 tiny slice")
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))

    model = frame[(frame["role"] == "model") & (frame["segment"] == "all")].set_index("strategy")
    assert sorted(model.index) == ["full_retrain", "lsat_en", "lsat_ta"]
    assert (model["n"] == 16).all() and (model["eval_period"] == 2).all()
    assert model["auc"].between(0.0, 1.0).all()
    device = config.backbone.resolve_device().type  # the backbone's: cuda on a GPU machine
    assert model["device"].str.startswith(device).all()
    # Training happened and was costed; LSAT chose its coefficients on the validation set.
    assert model.loc["full_retrain", "samples_trained"] == 16
    assert model.loc["full_retrain", "tokens_trained"] > 16 * 150
    # At t = m = 1 LSAT's long- and short-term LoRAs train on the same data with the same
    # settings: one model, trained once, so the update pays for 16 samples, not 32.
    assert model.loc["lsat_en", "samples_trained"] == 16
    for strategy in ("lsat_en", "lsat_ta"):
        assert len(model.loc[strategy, "coefficient_curve"]) == 11
        assert 0.0 <= model.loc[strategy, "coefficient"] <= 1.0
    parts = frame[(frame["strategy"] == "lsat_en") & (frame["segment"] == "all")]
    assert set(parts["role"]) == {"model", "long", "short"}
