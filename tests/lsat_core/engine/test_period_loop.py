"""The period loop end to end on real ML-1M samples with the tiny LLM: what it stores."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from lsat_core.runner.in_process import run_experiment, summary
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact, PeriodResult, Run, RunStatus
from lsat_core.store.queries import results_frame
from lsat_core.strategies.registry import LLM_STRATEGIES

pytestmark = pytest.mark.timeout(600)


def _results(engine, prepared):
    with session_scope(engine) as session:
        return results_frame(session, list(prepared.run_ids.values()))


def test_every_strategy_records_all_warm_cold_and_shares_models(settings, tiny_config):
    config = tiny_config(LLM_STRATEGIES)
    engine, prepared = run_experiment(config, settings, name="all strategies")
    frame = _results(engine, prepared)

    model_rows = frame[frame["role"] == "model"]
    # Each strategy: updates at t = 2, 3, tested on the next period, in three segments.
    counts = model_rows.groupby("strategy").size()
    assert set(counts.index) == set(LLM_STRATEGIES) and set(counts) == {2 * 3}
    assert set(model_rows["eval_period"]) == {3, 4}
    for _, cell in model_rows.groupby(["strategy", "eval_period"]):
        by_segment = cell.set_index("segment")
        assert by_segment.loc["all", "n"] == 24
        assert by_segment.loc["warm", "n"] + by_segment.loc["cold", "n"] == 24

    # LSAT records its long and short parts; the chosen coefficient is the curve's argmax.
    for strategy in ("lsat_en", "lsat_ta", "lsat_en_full"):
        rows = frame[(frame["strategy"] == strategy) & (frame["segment"] == "all")]
        assert set(rows["role"]) == {"model", "long", "short"}
        for _, row in rows[rows["role"] == "model"].iterrows():
            curve = row["coefficient_curve"]
            assert [p["coefficient"] for p in curve] == pytest.approx(np.linspace(0, 1, 11))
            aucs = [p["auc"] for p in curve]
            assert row["coefficient"] == curve[int(np.argmax(aucs))]["coefficient"]

    # Shared models are trained once: full@1? no; full@2 (= long-term at m=2), full@3,
    # fine_tune@1..3, short@2, short@3, replay@2, @3, proximal@2, @3, sampled@2, @3. Replay@1 and
    # proximal@1 start fresh on train_1 as fine_tune@1 does: one model, claimed as fine_tune@1.
    with session_scope(engine) as session:
        labels = [c["spec"] for c in session.scalars(select(Artifact.config)).all()]
        statuses = set(session.scalars(select(Run.status)).all())
    roles = sorted(label.replace(":", "-").replace("@", "-") for label in labels)
    assert roles == sorted(
        [
            "lora-full-2",
            "lora-full-3",
            "lora-fine_tune-1",
            "lora-fine_tune-2",
            "lora-fine_tune-3",
            "lora-short-2",
            "lora-short-3",
            "lora-replay-2",
            "lora-replay-3",
            "lora-proximal-2",
            "lora-proximal-3",
            "lora-sampled-2",
            "lora-sampled-3",
        ]
    )
    assert statuses == {RunStatus.SUCCEEDED}

    # Long-term at m = 2 serves full retraining's model of t = 2 from then on: same scores.
    lt = model_rows[(model_rows["strategy"] == "long_term") & (model_rows["segment"] == "all")]
    fr = model_rows[(model_rows["strategy"] == "full_retrain") & (model_rows["segment"] == "all")]
    assert lt.set_index("train_period").loc[2, "auc"] == fr.set_index("train_period").loc[2, "auc"]
    # The cost of the long-term LoRA is paid at m only.
    assert lt.set_index("train_period").loc[3, "samples_trained"] == 0

    table, mean = summary(engine, prepared, config)
    assert list(table.index) == [
        (s, seg) for s in LLM_STRATEGIES for seg in ("all", "warm", "cold")
    ]
    assert list(table.columns) == [3, 4]
    all_items = model_rows[model_rows["segment"] == "all"]
    expected = all_items.groupby("strategy")["auc"].mean()
    assert mean.xs("all", level="segment").to_dict() == pytest.approx(expected.to_dict())


def test_rerun_finds_stored_models_and_duplicates_nothing(settings, tiny_config):
    config = tiny_config(("fine_tune", "lsat_en"))
    engine, first = run_experiment(config, settings, name="first")
    before = _results(engine, first)
    with session_scope(engine) as session:
        artifacts = session.scalar(select(func.count()).select_from(Artifact))
        rows = session.scalar(select(func.count()).select_from(PeriodResult))

    engine, second = run_experiment(config, settings, name="again")
    assert second.run_ids == first.run_ids  # runs are keyed by their config
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == artifacts
        assert session.scalar(select(func.count()).select_from(PeriodResult)) == rows
    after = _results(engine, second)
    assert after["auc"].tolist() == pytest.approx(before["auc"].tolist(), nan_ok=True)


def test_lsat_en_scores_its_two_adapters_in_one_pass_as_each_alone(
    settings, tiny_config, monkeypatch
):
    from lsat_core.engine.lora_family import LoraFamily

    passes = []
    score_many = LoraFamily.score_many

    def counted(self, models, samples, progress=None):
        passes.append(len(models))
        return score_many(self, models, samples, progress)

    monkeypatch.setattr(LoraFamily, "score_many", counted)
    # Two experiments, two workbenches: the parts alone are scored afresh (the models are
    # found in the store), not read from the first experiment's score cache.
    together = _results(*run_experiment(tiny_config(("lsat_en",)), settings, name="en"))
    # Per update: val_t, then the tested period, each in one pass over both adapters.
    assert passes == [2] * 4
    alone = _results(
        *run_experiment(tiny_config(("long_term", "short_term")), settings, name="parts")
    )
    assert passes == [2] * 4

    def auc(frame, strategy, role, t):
        rows = frame[frame["segment"] == "all"].set_index(["strategy", "role", "train_period"])
        return rows.loc[(strategy, role, t), "auc"]

    for part, strategy in (("long", "long_term"), ("short", "short_term")):
        for t in (2, 3):
            assert auc(together, "lsat_en", part, t) == pytest.approx(
                auc(alone, strategy, "model", t), abs=1e-9
            )
