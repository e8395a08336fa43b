from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scored_rows import model_result_row

from lsat_core.evaluation.paired import holm, paired_delong
from lsat_core.evaluation.report import comparison_report

SAMPLES = 400


def scored(run_id: int, cell: tuple[int, int], strength: float, first_sample: int = 0):
    """One cell's predictions of a run (a signal of `strength` over shared noise) and its
    results row, computed as the period loop does."""
    train, evaluated = cell
    rng = np.random.default_rng(evaluated)  # same samples and shared noise for every run
    labels = rng.integers(0, 2, SAMPLES)
    shared = rng.normal(size=SAMPLES)
    own = np.random.default_rng([run_id, evaluated]).normal(size=SAMPLES)
    samples = pd.DataFrame(
        {
            "run_id": run_id,
            "train_period": train,
            "eval_period": evaluated,
            "part": "test",
            "role": "model",
            "coefficient": np.nan,
            "sample_id": np.arange(first_sample, first_sample + SAMPLES) + 1000 * evaluated,
            "user": [f"u{i % 20}" for i in range(SAMPLES)],
            "item": "i",
            "label": labels,
            "warm": True,
            "score": strength * labels + shared + 0.3 * own,
        }
    )
    row = model_result_row(
        samples,
        train,
        evaluated,
        run_id=run_id,
        run_name=f"run {run_id}",
        strategy=f"s{run_id}",
        seed=0,
    )
    return samples, row


def comparison(runs: dict[int, tuple[float, int]], cells):
    """runs: id -> (signal strength, first sample id)."""
    pieces = [
        scored(run_id, cell, strength, first)
        for run_id, (strength, first) in runs.items()
        for cell in cells
    ]
    predictions = pd.concat([p for p, _ in pieces], ignore_index=True)
    results = pd.DataFrame([r for _, r in pieces])
    return results, predictions


def test_runs_on_the_same_samples_are_paired_and_holm_adjusted():
    # T = 4, next-period: the summary periods are D_3 and D_4, tested by t = 2 and t = 3.
    runs = {1: (1.0, 0), 2: (0.6, 0), 3: (1.0, 0), 4: (1.0, 5000)}
    results, predictions = comparison(runs, [(1, 2), (2, 3), (3, 4)])
    report = comparison_report(results, predictions, "next-period", 4)

    assert report.cells == ((2, 3), (3, 4)) and report.standard and report.note is None
    headline = report.headline.set_index("run_id")
    on_summary = results[results["eval_period"] >= 3].groupby("run_id")
    assert headline["mean_auc"].to_dict() == pytest.approx(on_summary["auc"].mean().to_dict())
    assert headline["mean_uauc"].to_dict() == pytest.approx(on_summary["uauc"].mean().to_dict())
    assert set(headline["cells"]) == {2}

    # Run 4 was scored on other samples: it is paired with none.
    paired = report.paired.set_index(["run_a", "run_b"])
    assert list(paired.index) == [(1, 2), (1, 3), (2, 3)]
    cells = report.paired_cells.set_index(["run_a", "run_b", "eval_period"])
    for (a, b), row in paired.iterrows():
        pair_cells = cells.loc[(a, b)]
        assert row["difference"] == pytest.approx(pair_cells["difference"].mean())
        assert row["auc_a"] - row["auc_b"] == pytest.approx(row["difference"])
    one = predictions[(predictions["eval_period"] == 3)]
    expected = paired_delong(
        one[one["run_id"] == 1]["label"],
        one[one["run_id"] == 1]["score"],
        one[one["run_id"] == 2]["score"],
    )
    assert cells.loc[(1, 2, 3), "p_value"] == pytest.approx(expected.p_value)
    # A stronger signal wins clearly; the same strength does not.
    assert paired.loc[(1, 2), "difference"] > 0 and paired.loc[(1, 2), "p_holm"] < 0.01
    assert paired.loc[(1, 3), "p_value"] > 0.01
    np.testing.assert_allclose(paired["p_holm"], holm(paired["p_value"]))


def test_the_headline_says_when_the_summary_periods_were_not_all_tested():
    results, predictions = comparison({1: (1.0, 0), 2: (0.5, 0)}, [(1, 2), (2, 3)])
    report = comparison_report(results, predictions, "next-period", 4)
    assert report.cells == ((2, 3),) and not report.standard
    assert report.note == (
        "the protocol's summary periods D_3, D_4 were not all tested by every run; "
        "the headline averages tested periods D_3"
    )
    assert len(report.paired) == 1 and report.paired.loc[0, "cells"] == 1


def test_a_quick_run_is_summarised_over_the_periods_it_tested():
    results, predictions = comparison({1: (1.0, 0), 2: (0.5, 0)}, [(1, 2)])
    report = comparison_report(results, predictions, "next-period", 10)
    assert report.cells == ((1, 2),) and not report.standard
    assert report.note.startswith("none of the protocol's summary periods D_6, D_7, D_8")
    assert report.headline["mean_auc"].notna().all()
    # The JSON form carries the same numbers, NaN as null.
    decoded = json.loads(json.dumps(report.to_dict()))
    assert decoded["paired"][0]["difference"] == pytest.approx(report.paired.loc[0, "difference"])
    assert decoded["cells"] == [[1, 2]]


def test_fixed_target_pools_every_update_tested_on_the_last_period():
    cells = [(1, 4), (2, 4), (3, 4)]
    results, predictions = comparison({1: (1.0, 0), 2: (0.5, 0)}, cells)
    report = comparison_report(results, predictions, "fixed-target", 4)
    assert report.cells == tuple(cells) and report.standard
    assert report.paired.loc[0, "cells"] == 3 and len(report.paired_cells) == 3


def test_a_headline_interval_stays_within_zero_and_one():
    # One cell with AUC 0.99 whose stored DeLong interval is clipped at 1 (z*se = 0.03 below):
    # the headline's interval is 0.96 .. 1, not 0.96 .. 1.02.
    row = {"run_id": 1, "run_name": "a", "strategy": "a", "seed": 0, "train_period": 1}
    row |= {"eval_period": 2, "role": "model", "segment": "all", "auc": 0.99, "ci_low": 0.96}
    row |= {"ci_high": 1.0, "uauc": None, "uauc_users": None}
    predictions = scored(1, (1, 2), 1.0)[0].iloc[:0]
    report = comparison_report(pd.DataFrame([row]), predictions, "next-period", 3)
    (headline,) = report.headline.to_dict("records")
    assert (headline["ci_low"], headline["ci_high"]) == pytest.approx((0.96, 1.0))
