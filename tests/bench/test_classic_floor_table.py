"""bench/classic_floor_table.py's pairs, tests and costs on a hand-made report: which strategy is
tested against which, the difference always strategy minus reference whatever the run ids'
order, Holm over every test listed, an earlier table's rows only where the store lacks them and
its tests only where their reference is reproduced, and the cost of each update counted once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from lsat_core.evaluation.report import ComparisonReport

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def table_module():
    spec = importlib.util.spec_from_file_location(
        "classic_floor_table", REPO_ROOT / "bench" / "classic_floor_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["classic_floor_table"] = module
    spec.loader.exec_module(module)
    return module


NAMES = {1: "mf:full_retrain", 2: "mf:replay", 3: "logreg", 4: "popularity", 5: "mf:fine_tune"}


def report(paired: list[tuple[int, int, float, float, float, float]]) -> ComparisonReport:
    """Runs 1..5 named by NAMES; `paired`: (run_a, run_b, difference a - b, ci_low, ci_high, p)."""
    headline = pd.DataFrame({"run_id": list(NAMES), "strategy": list(NAMES.values())})
    columns = ["run_a", "run_b", "difference", "ci_low", "ci_high", "p_value"]
    return ComparisonReport(
        protocol="next-period",
        num_periods=20,
        cells=((10, 11), (11, 12)),
        standard=False,
        note=None,
        headline=headline,
        paired=pd.DataFrame(paired, columns=columns),
        paired_cells=pd.DataFrame(),
        seeds=pd.DataFrame(),
        seed_paired=pd.DataFrame(),
    )


def test_every_strategy_meets_each_reference_and_the_references_meet_once(table_module) -> None:
    pairs = table_module.reference_pairs(report([]), ["logreg", "popularity", "absent"])
    assert pairs == [
        ("mf:full_retrain", "logreg"),
        ("mf:replay", "logreg"),
        ("popularity", "logreg"),
        ("mf:fine_tune", "logreg"),
        ("mf:full_retrain", "popularity"),
        ("mf:replay", "popularity"),
        ("mf:fine_tune", "popularity"),
    ]


def test_a_models_updates_meet_its_full_retraining_only(table_module) -> None:
    assert table_module.full_retrain_pairs(report([])) == [
        ("mf:fine_tune", "mf:full_retrain"),
        ("mf:replay", "mf:full_retrain"),
    ]


def test_differences_read_strategy_minus_reference_and_holm_covers_all_tests(table_module) -> None:
    paired = [
        (1, 2, 0.03, 0.01, 0.05, 0.01),  # full retraining minus replay
        (2, 3, -0.02, -0.03, -0.01, 0.04),  # replay minus logreg
    ]
    pairs = [("mf:replay", "mf:full_retrain"), ("mf:replay", "logreg"), ("mf:fine_tune", "logreg")]
    tests = table_module.adjusted(table_module.tests(report(paired), pairs))
    against_full = tests.loc[("mf:replay", "mf:full_retrain")]
    assert against_full["difference"] == pytest.approx(-0.03)
    assert (against_full["ci_low"], against_full["ci_high"]) == pytest.approx((-0.05, -0.01))
    assert tests.loc[("mf:replay", "logreg"), "difference"] == pytest.approx(-0.02)
    # No stored test of fine-tuning against logreg: left out, and not counted by Holm.
    assert len(tests) == 2
    assert list(tests["p_holm"]) == pytest.approx([0.02, 0.04])


def test_the_cost_of_an_update_is_counted_once_over_its_tested_periods(table_module) -> None:
    per_period = pd.DataFrame(
        {
            "strategy": ["mf:replay"] * 3 + ["logreg"],
            "train_period": [10, 10, 11, 10],
            "eval_period": [11, 12, 12, 11],
            "samples_trained": [100, 100, 300, 50],
            "train_seconds": [1.0, 1.0, 5.0, 0.5],
        }
    )
    cost = table_module.cost_per_update(per_period, report([]))
    # (10, 12) is no cell of the report; (10, 11) and (11, 12) are one update each.
    assert cost.loc["mf:replay", "samples_per_update"] == pytest.approx(200)
    assert cost.loc["mf:replay", "train_seconds_per_update"] == pytest.approx(3.0)
    assert cost.loc["logreg", "samples_per_update"] == pytest.approx(50)


def test_an_earlier_table_fills_what_the_store_lacks_with_the_tests_it_can_keep(
    table_module,
) -> None:
    def rows(strategy: str, aucs: list[float]) -> list[dict]:
        return [
            {"strategy": strategy, "train_period": t, "eval_period": t + 1, "auc": a}
            for t, a in zip((10, 11), aucs, strict=True)
        ]

    earlier = {
        "table": [
            {"strategy": "mf:full_retrain", "mean_auc": 0.70},
            {"strategy": "caser:full_retrain", "mean_auc": 0.76},
        ],
        "per_period": rows("logreg", [0.74, 0.75])
        + rows("popularity", [0.70, 0.71])
        + rows("caser:full_retrain", [0.76, 0.77]),
        # The first table's tests name no reference: they are against logreg.
        "paired": [
            {
                "strategy": "caser:full_retrain",
                "difference": 0.02,
                "ci_low": 0.01,
                "ci_high": 0.03,
                "p_value": 0.01,
                "p_holm": 0.01,
            },
            {
                "strategy": "mf:full_retrain",
                "difference": -0.01,
                "ci_low": -0.02,
                "ci_high": 0.0,
                "p_value": 0.2,
                "p_holm": 0.2,
            },
        ],
    }
    table = pd.DataFrame({"mean_auc": [0.75, 0.72]}, index=["mf:full_retrain", "logreg"])
    paired = table_module.tests(
        report([(1, 3, 0.01, 0.0, 0.02, 0.03)]), [("mf:full_retrain", "logreg")]
    )
    per_period = pd.DataFrame(rows("logreg", [0.74, 0.75]) + rows("mf:full_retrain", [0.7, 0.7]))
    merged, tested, periods = table_module.with_earlier(
        earlier, "earlier.json", table.assign(source="store"), paired, per_period
    )
    assert merged.loc["mf:full_retrain", "mean_auc"] == 0.75  # the store's, not the earlier
    assert merged.loc["caser:full_retrain", "source"] == "earlier.json"
    assert sorted(periods["strategy"].unique()) == [
        "caser:full_retrain",
        "logreg",
        "mf:full_retrain",
    ]
    assert list(tested.index) == [("mf:full_retrain", "logreg"), ("caser:full_retrain", "logreg")]
    assert list(table_module.adjusted(tested)["p_holm"]) == pytest.approx([0.03, 0.02])

    # A reference whose AUCs the store does not reproduce: its earlier tests are left out.
    moved = per_period.assign(auc=per_period["auc"] + 0.001)
    _, tested, _ = table_module.with_earlier(
        earlier, "earlier.json", table.assign(source="store"), paired, moved
    )
    assert list(tested.index) == [("mf:full_retrain", "logreg")]
