"""Seeds in a comparison's report, on planted predictions whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scored_rows import model_result_row

from lsat_core.evaluation.paired import holm
from lsat_core.evaluation.report import comparison_report

SAMPLES = 300
CELLS = [(1, 2), (2, 3)]  # next-period, T = 3: both are the summary cells
Z = 1.959963984540054


def planted(run_id: int, variant: str, seed: int, strength: float, offset: int = 0):
    """A run's predictions on CELLS and its results rows: a signal of `strength` over noise
    every run shares on a period, and noise of its own (its "training randomness")."""
    samples, rows = [], []
    for train, evaluated in CELLS:
        rng = np.random.default_rng(evaluated)
        labels = rng.integers(0, 2, SAMPLES)
        shared = rng.normal(size=SAMPLES)
        own = np.random.default_rng([run_id, evaluated]).normal(size=SAMPLES)
        scores = strength * labels + shared + 0.3 * own
        users = [f"u{i % 10}" for i in range(SAMPLES)]
        cell = pd.DataFrame(
            {
                "run_id": run_id,
                "train_period": train,
                "eval_period": evaluated,
                "part": "test",
                "role": "model",
                "coefficient": np.nan,
                "sample_id": np.arange(SAMPLES) + 1000 * evaluated + offset,
                "user": users,
                "item": "i",
                "label": labels,
                "warm": True,
                "score": scores,
            }
        )
        samples.append(cell)
        rows.append(
            model_result_row(
                cell,
                train,
                evaluated,
                run_id=run_id,
                run_name=variant,
                strategy=variant,
                variant=variant,
                seed=seed,
            )
        )
    return samples, rows


def report_of(runs: list[tuple[int, str, int, float, int]]):
    samples, rows = [], []
    for run in runs:
        s, r = planted(*run)
        samples += s
        rows += r
    results = pd.DataFrame(rows)
    return comparison_report(results, pd.concat(samples, ignore_index=True), "next-period", 3)


# Strong: seeds 0..2 with a signal that varies by seed; weak: the same seeds, a weaker signal.
STRONG = [(1, "strong", 0, 1.2, 0), (2, "strong", 1, 0.8, 0), (3, "strong", 2, 1.0, 0)]
WEAK = [(4, "weak", 0, 0.6, 0), (5, "weak", 1, 0.6, 0), (6, "weak", 2, 0.6, 0)]


def test_each_variant_is_summarised_over_its_seeds_beside_the_per_seed_values():
    report = report_of(STRONG + WEAK)
    headline = report.headline.set_index("run_id")
    seeds = report.seeds.set_index("variant")
    strong = headline.loc[[1, 2, 3], "mean_auc"]
    assert seeds.loc["strong", "seeds"] == 3
    assert seeds.loc["strong", "mean_auc"] == pytest.approx(strong.mean())
    assert seeds.loc["strong", "sd_auc"] == pytest.approx(np.std(strong, ddof=1))
    assert (seeds.loc["strong", "min_auc"], seeds.loc["strong", "max_auc"]) == (
        strong.min(),
        strong.max(),
    )
    assert seeds.loc["strong", "mean_uauc"] == pytest.approx(
        headline.loc[[1, 2, 3], "mean_uauc"].mean()
    )
    assert seeds.loc["strong", "per_seed"] == ", ".join(
        f"{s}: {a:.4f}" for s, a in zip((0, 1, 2), strong, strict=True)
    )


def test_two_variants_are_paired_seed_with_seed_and_the_seeds_spread_widens_the_interval():
    report = report_of(STRONG + WEAK)
    (row,) = report.seed_paired.to_dict("records")
    assert (row["variant_a"], row["variant_b"], row["seeds"]) == ("strong", "weak", 3)
    # The difference is the mean of the three seed-matched run pairs' pooled differences...
    runs = report.paired.set_index(["run_a", "run_b"])
    per_seed = [runs.loc[(a, a + 3), "difference"] for a in (1, 2, 3)]
    assert row["difference"] == pytest.approx(np.mean(per_seed))
    # ...its seeds part is their spread, and the interval adds it to the sampling part.
    assert row["seeds_sd"] == pytest.approx(np.std(per_seed, ddof=1) / math.sqrt(3))
    half = Z * math.hypot(row["sampling_sd"], row["seeds_sd"])
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        (row["difference"] - half, row["difference"] + half)
    )
    # The seeds' signals (1.2, 0.8, 1.0) spread more than the samples do: an honest interval
    # is wider than a test that sees the samples alone.
    assert row["seeds_sd"] > row["sampling_sd"]
    assert row["difference"] > 0 and row["p_value"] < 0.05


def test_seeds_on_other_samples_are_left_out_and_one_seed_adds_no_spread():
    moved = [(6, "weak", 2, 0.6, 50_000)]  # seed 2 of "weak" was tested on other samples
    report = report_of(STRONG + WEAK[:2] + moved + [(7, "single", 0, 0.9, 0)])
    pairs = report.seed_paired.set_index(["variant_a", "variant_b"])
    assert pairs.loc[("strong", "weak"), "seeds"] == 2
    assert pairs.loc[("strong", "single"), "seeds"] == 1
    assert pairs.loc[("strong", "single"), "seeds_sd"] == 0.0
    one = report.paired.set_index(["run_a", "run_b"]).loc[(1, 7)]
    assert pairs.loc[("strong", "single"), "difference"] == pytest.approx(one["difference"])
    assert pairs.loc[("strong", "single"), "p_value"] == pytest.approx(one["p_value"])
    np.testing.assert_allclose(pairs["p_holm"], holm(pairs["p_value"]))


def test_equal_strategies_over_seeds_are_not_found_different():
    same = [(4, "twin", 0, 1.2, 0), (5, "twin", 1, 0.8, 0), (6, "twin", 2, 1.0, 0)]
    (row,) = report_of(STRONG + same).seed_paired.to_dict("records")
    assert row["ci_low"] < 0 < row["ci_high"] and row["p_value"] > 0.05


def test_runs_of_one_name_and_seed_stay_apart_without_a_variant_column():
    samples, rows = [], []
    for run in [(1, "mf", 0, 1.0, 0), (2, "mf", 0, 0.6, 0), (3, "mf", 1, 0.9, 0)]:
        s, r = planted(*run)
        samples += s
        rows += r
    results = pd.DataFrame(rows).drop(columns="variant")
    report = comparison_report(results, pd.concat(samples), "next-period", 3)
    assert report.headline.set_index("run_id")["variant"].to_dict() == {
        1: "mf #1",
        2: "mf #2",
        3: "mf",
    }
