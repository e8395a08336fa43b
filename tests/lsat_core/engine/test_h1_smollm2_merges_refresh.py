"""PEFT's DARE and SVD merges, the drift- and k-triggered long-term refreshes and sampled full
retraining end to end with the real SmolLM2 on a tiny slice of real ML-1M (docs/method.md
section 3), in one experiment so that the LoRAs they share train once: each records its rows,
what it trained, its chosen coefficient with the whole curve, and each refresh with its reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.merge_refresh_config import MergeRefreshConfig
from lsat_core.engine.presets import preset_config
from lsat_core.evaluation.coefficients import COEFFICIENT_GRID
from lsat_core.llm.configs import BackboneConfig
from lsat_core.llm.gguf_backbones import ensure_converted
from lsat_core.llm.training import LoraTrainConfig
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact, Event
from lsat_core.store.queries import results_frame

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

STRATEGIES = ("lsat_ta_dare", "lsat_ta_svd", "lsat_en_drift", "lsat_en_every_k")
SAMPLED = "full_retrain_sampled"
DRIFT_THRESHOLD = 0.0
DRIFT_REASON = re.compile(
    r"long-term LoRA trained at 1 (?P<verdict>kept|replaced by full retraining at 2): "
    r"AUC (?P<auc>[\d.]+) on val_2 against (?P<reference>[\d.]+) on val_1"
)


@pytest.fixture
def converted(settings: Settings, ml1m_cache: Path) -> Settings:
    """The settings with the test cache's converted backbones (as in
    test_h1_smollm2_replay_proximal.py: converted first, then linked)."""
    ensure_converted(BackboneConfig().name_or_path, ml1m_cache)
    (settings.cache_dir / "backbones").symlink_to(ml1m_cache / "backbones")
    return settings


def test_smollm2_merges_refreshes_and_sampled_retraining_on_a_tiny_slice(converted: Settings):
    # Models: the LoRA of D_1 (8 samples; the long-term and short-term LoRAs of period 1), the
    # short-term LoRA of t = 2 (8), full retraining at 2 (train_1 + val_1 + train_2: 24), which
    # every_k (k = 1) and a fired drift refresh serve, and the sampled model at 2 (a draw of
    # one period's 8 from those 24); tested on 8 of D_3. A threshold of 0 fires whenever the
    # long-term LoRA scores lower on val_2 than on val_1.
    config = preset_config(
        "quick",
        (*STRATEGIES, SAMPLED),
        update_periods=(2,),
        budget=SampleBudget(train_per_period=8, val_per_period=8, test_per_period=8),
        lora=LoraTrainConfig(
            micro_batch_size=8, accumulation_steps=1, epochs=1, eval_every=1, eval_batch_size=16
        ),
        merge_refresh=MergeRefreshConfig(drift_threshold=DRIFT_THRESHOLD, refresh_every=1),
    )
    engine, prepared = run_experiment(config, converted, name="smollm2 merges and refreshes")
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
        trained = sorted(a.config["spec"] for a in session.scalars(select(Artifact)))
        refreshes = select(Event).where(Event.task_key.like("long-term-refresh:%"))
        events = {e.run_id: e.message for e in session.scalars(refreshes)}

    rows = frame[frame["segment"] == "all"]
    model = rows[rows["role"] == "model"].set_index("strategy")
    assert sorted(model.index) == sorted((*STRATEGIES, SAMPLED))
    assert (model["n"] == 8).all() and (model["eval_period"] == 3).all()
    assert model["auc"].between(0.0, 1.0).all()
    # Each of the five models trained once, whoever needed it.
    assert trained == ["lora:full@1", "lora:full@2", "lora:sampled@2", "lora:short@2"]

    for merge in ("lsat_ta_dare", "lsat_ta_svd"):
        row = model.loc[merge]
        curve = row["coefficient_curve"]
        assert [point["coefficient"] for point in curve] == list(COEFFICIENT_GRID)
        best = max(point["auc"] for point in curve)
        first_best = next(p["coefficient"] for p in curve if p["auc"] == best)
        assert row["coefficient"] == first_best
        # The merged adapter's parts are recorded beside it; only the short-term LoRA is new.
        roles = set(rows[rows["strategy"] == merge]["role"])
        assert roles == {"model", "long", "short"}
        assert row["samples_trained"] == 8

    assert model.loc[SAMPLED, "samples_trained"] == 8  # one period's budget, not the 24
    assert model.loc[SAMPLED, "coefficient_curve"] is None

    every_k = prepared.run_ids["lsat_en_every_k"]
    assert "refreshed by full retraining at 2 (every k=1 periods after m=1)" in events[every_k]
    assert model.loc["lsat_en_every_k", "samples_trained"] == 24 + 8
    assert 0.0 <= model.loc["lsat_en_every_k", "coefficient"] <= 1.0

    drift = prepared.run_ids["lsat_en_drift"]
    figures = DRIFT_REASON.search(events[drift])  # logged whether it fired or not
    assert figures is not None, events[drift]
    if figures["verdict"] == "kept":  # LSAT-EN's frozen long-term LoRA, only the short one trained
        assert float(figures["reference"]) - float(figures["auc"]) <= DRIFT_THRESHOLD
        assert model.loc["lsat_en_drift", "samples_trained"] == 8
    else:  # fired: its cost is the refresh
        assert float(figures["reference"]) - float(figures["auc"]) >= DRIFT_THRESHOLD  # 4 digits
        assert model.loc["lsat_en_drift", "samples_trained"] == 24 + 8
    assert set(events) == {every_k, drift}
