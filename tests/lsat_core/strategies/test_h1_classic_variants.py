"""`<model>:replay` and `<model>:full_retrain_sampled` through the period loop on the planted
stream (conftest.py): what each trains on, and the degenerate settings that are fine-tuning and
full retraining exactly (docs/method.md section 3)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact

pytestmark = pytest.mark.timeout(300)
STRATEGIES = ("mf:full_retrain", "mf:fine_tune", "mf:replay", "mf:full_retrain_sampled")


def _metrics(outcome) -> dict[str, dict]:
    with session_scope(outcome.engine) as session:
        rows = session.execute(select(Artifact.config, Artifact.metrics)).all()
    return {re.sub("[:@]", "-", config["spec"]): metrics for config, metrics in rows}


def _served(outcome):
    frame = outcome.results().query("role == 'model'")
    return frame.set_index(["strategy", "segment"])


def test_replay_and_sampled_retraining_train_on_what_they_say(run_planted):
    outcome = run_planted(STRATEGIES, protocol="next-period", update_periods=(3,))
    cells = _served(outcome)
    for strategy in STRATEGIES:
        assert cells.loc[(strategy, "all"), "n"] == 2000
        assert cells.loc[(strategy, "all"), "auc"] > 0.8
    metrics = _metrics(outcome)
    # Whole periods of 1,800 train and 200 validation samples.
    assert metrics["mf-fine_tune-3"]["train_samples"] == 1800 + 200
    assert metrics["mf-replay-3"]["train_samples"] == 2 * (1800 + 200)  # 1:1 replay
    assert metrics["mf-full-3"]["train_samples"] == 3 * 1800 + 2 * 200
    assert metrics["mf-sampled-3"]["train_samples"] == 1800  # one period's worth


def test_degenerate_settings_serve_the_models_they_reduce_to(run_planted):
    settings = UpdateSettings(replay_ratio=0, sampled_budget=10**6)
    outcome = run_planted(STRATEGIES, protocol="next-period", update_periods=(3,), updates=settings)
    cells = _served(outcome)
    for variant, plain in [
        ("mf:replay", "mf:fine_tune"),
        ("mf:full_retrain_sampled", "mf:full_retrain"),
    ]:
        for segment in ("all", "warm", "cold"):
            for column in ("n", "auc", "samples_trained"):
                assert cells.loc[(variant, segment), column] == cells.loc[(plain, segment), column]
    # One model each: fine_tune@1..3 and full@3 (sampled@1 and replay@1 are among them).
    assert len(_metrics(outcome)) == 4
