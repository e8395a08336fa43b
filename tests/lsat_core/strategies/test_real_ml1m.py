"""The baselines as `lsat run` assembles them, on real ML-1M: DeepMusic with MiniLM title
features, MF fine-tuned on whole periods, and the in-context baseline on the real SmolLM2."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.presets import preset_config
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact
from lsat_core.store.queries import results_frame

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CACHED = ("wheels", "streams", "datasets", "backbones", "text_encoders", "text_features")
"""What the shared test cache may already hold: the stream, SmolLM2 converted, MiniLM."""


def test_quick_preset_on_real_ml1m(tmp_path, ml1m_cache):
    settings = Settings.for_data_dir(tmp_path / "data")
    settings.cache_dir.mkdir(parents=True)
    for name in CACHED:
        (ml1m_cache / name).mkdir(exist_ok=True)  # filled on first use, reused after
        (settings.cache_dir / name).symlink_to(ml1m_cache / name)
    config = preset_config(
        "quick",
        ("deepmusic:full_retrain", "mf:fine_tune", "in_context"),
        long_term_period=1,
        update_periods=(1,),
        budget=SampleBudget(train_per_period=16, val_per_period=16, test_per_period=32),
        in_context_recent_positives=2,
    )
    assert config.classic_whole_periods  # the quick preset's budget is the LLM's
    engine, prepared = run_experiment(config, settings, name="real baselines")
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
        stored = {a.key.split("-")[0]: a.metrics for a in session.scalars(select(Artifact))}

    cells = frame.set_index(["strategy", "segment"])
    for strategy in config.strategies:
        assert cells.loc[(strategy, "all"), "n"] == 32  # the experiment's test budget
        assert 0.0 <= cells.loc[(strategy, "all"), "auc"] <= 1.0
    assert cells.loc[("in_context", "all"), "samples_trained"] == 0
    # The classic models trained on all of D_1 (9,000 + 1,000 samples) and learned from it:
    # the validation AUC of a working MF or DeepMusic on ML-1M is well above chance.
    assert set(stored) == {"deepmusic", "mf"}
    for metrics in stored.values():
        assert (metrics["train_samples"], metrics["val_samples"]) == (9000, 1000)
        assert metrics["best_val_auc"] > 0.6
