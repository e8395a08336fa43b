"""The period loop keeps every tested scoring's per-sample predictions, once, beside its results."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.evaluation.protocols import plan_steps
from lsat_core.evaluation.user_auc import user_auc
from lsat_core.runner.period_loop import run_step
from lsat_core.store.engine import session_scope
from lsat_core.store.models import PeriodResult, PredictionSet
from lsat_core.store.predictions import predictions_frame


def _counts(engine):
    with session_scope(engine) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(table))
            for table in (PredictionSet, PeriodResult)
        )


def test_predictions_match_the_results_and_a_rerun_writes_none(run_planted, planted_case):
    strategy = "mf:fine_tune"
    outcome = run_planted((strategy,), protocol="next-period", update_periods=(2,))
    run_id = outcome.prepared.run_ids[strategy]
    with session_scope(outcome.engine) as session:
        kept = predictions_frame(session, [run_id])
    results = outcome.results().set_index("segment")
    test = planted_case.stream.test(3)

    assert set(kept["eval_period"]) == {3} and set(kept["train_period"]) == {2}
    assert kept["sample_id"].tolist() == test["sample_id"].tolist()
    assert kept["label"].tolist() == test["label"].tolist()
    assert kept["user"].tolist() == test["user"].tolist()
    # The stored AUCs, uAUCs and warm counts are those of the kept scores.
    segments = {"all": kept, "warm": kept[kept["warm"]], "cold": kept[~kept["warm"]]}
    for segment, rows in segments.items():
        stored = results.loc[segment]
        assert stored["n"] == len(rows)
        auc = auc_with_ci(rows["label"], rows["score"]).auc
        per_user = user_auc(rows["user"], rows["label"], rows["score"])
        assert stored["uauc_users"] == per_user.users
        assert stored["auc"] == pytest.approx(np.nan if auc is None else auc, nan_ok=True)
        expected = np.nan if per_user.uauc is None else per_user.uauc
        assert stored["uauc"] == pytest.approx(expected, nan_ok=True)
    assert results.loc["all", "uauc_users"] > 100

    # A redelivered evaluation runs the step again: nothing is added.
    before = _counts(outcome.engine)
    step = plan_steps(outcome.bench.config.protocol, planted_case.stream.num_periods, (2,))[0]
    run_step(outcome.engine, outcome.bench, run_id, strategy, step)
    assert _counts(outcome.engine) == before == (1, 3)


def test_an_ensemble_keeps_its_served_scores_and_both_parts(run_planted):
    outcome = run_planted(
        ("lsat_en",),
        protocol="next-period",
        update_periods=(2,),
        budget=SampleBudget(train_per_period=32, val_per_period=16, test_per_period=48),
    )
    run_id = outcome.prepared.run_ids["lsat_en"]
    with session_scope(outcome.engine) as session:
        kept = predictions_frame(session, [run_id], roles=("model", "long", "short"))
    results = outcome.results()
    served = results[(results["role"] == "model") & (results["segment"] == "all")].iloc[0]
    by_role = {role: rows for role, rows in kept.groupby("role")}
    assert set(by_role) == {"model", "long", "short"}
    assert all(len(rows) == 48 for rows in by_role.values())
    # The served scores are the mix of the parts by the chosen alpha.
    alpha = served["coefficient"]
    assert set(by_role["model"]["coefficient"]) == {alpha}
    assert by_role["long"]["coefficient"].isna().all()
    mixed = (
        alpha * by_role["long"]["score"].to_numpy()
        + (1 - alpha) * by_role["short"]["score"].to_numpy()
    )
    assert by_role["model"]["score"].to_numpy() == pytest.approx(mixed)
