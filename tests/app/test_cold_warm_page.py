from __future__ import annotations

import pytest


def test_warm_and_cold_auc_with_counts_per_run_and_period(
    run_page, app_env, chart_frames, download_names
) -> None:
    app = run_page("cold_warm.py", experiment=app_env.next_experiment_id)

    assert not app.exception
    (chart,) = chart_frames(app)
    assert set(chart["segment"]) == {"warm", "cold"}
    assert len(chart) == 2 * (5 + 3 + 1)
    means = app.dataframe[0].value.set_index("strategy")
    # full_retrain: warm 0.72 + 0.01 e over e = 2..6, cold 0.60; 800 warm and 200 cold items each.
    assert means.loc["full_retrain", "mean_auc_warm"] == pytest.approx(0.76)
    assert means.loc["full_retrain", "mean_auc_cold"] == pytest.approx(0.60)
    assert means.loc["full_retrain", ["n_warm", "n_cold", "cells"]].tolist() == [4000, 1000, 5]
    table = app.dataframe[1].value
    row = table[(table["strategy"] == "fine_tune") & (table["eval_period"] == 2)].iloc[0]
    assert row[["auc_all", "auc_warm", "auc_cold"]].tolist() == pytest.approx([0.71, 0.72, 0.55])
    assert row[["n_warm", "positives_warm", "n_cold"]].tolist() == [800, 400, 200]
    experiment = app_env.next_experiment_id
    assert download_names(app) == [
        f"experiment_{experiment}_warm_cold_auc",
        f"experiment_{experiment}_warm_cold_means",
        f"experiment_{experiment}_warm_cold",
    ]


def test_fixed_target_view_sets_all_items_against_warm_items_per_update(
    run_page, app_env, chart_frames
) -> None:
    app = run_page("cold_warm.py", experiment=app_env.fixed_experiment_id)

    assert app.caption[0].value.startswith("Fixed target")
    (chart,) = chart_frames(app)
    assert set(chart["segment"]) == {"all", "warm"}
    full = chart[chart["strategy"] == "full_retrain"]
    warm = full[full["segment"] == "warm"].sort_values("train_period")
    assert warm["train_period"].tolist() == [1, 2, 3, 4, 5]
    assert warm["auc"].tolist() == pytest.approx([0.755, 0.76, 0.765, 0.77, 0.775])
