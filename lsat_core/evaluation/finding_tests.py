"""The tests the findings rest on (docs/method.md section 9): which runs of a strategy are
compared, and pooled paired DeLong tests between two strategies' runs, seed with seed.

Rows are plain dicts with TEST_COLUMNS, so a finding's table is one DataFrame of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lsat_core.evaluation.paired import holm, pooled_paired_delong

TEST_COLUMNS = (
    "test",
    "a",
    "b",
    "samples",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "uauc",
    "uauc_users",
)
"""`uauc` and `uauc_users`: beside a cold-item AUC only (finding 2), not used by the verdict."""


@dataclass(frozen=True)
class Evidence:
    """The stored runs of experiments of one protocol (`lsat_core.store.queries.comparison`)."""

    protocol: str
    results: pd.DataFrame
    """`results_frame` rows: the runs' strategies and seeds."""
    predictions: pd.DataFrame
    """`predictions_frame` rows of the served models' test scorings."""


def paired_tests(ev: Evidence, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The pooled paired DeLong test of each pair of strategies, seed with seed, Holm-adjusted
    over the pairs."""
    cells = cells_by_run(served_predictions(ev))
    rows = [paired_row(ev, a, b, cells) for a, b in pairs]
    add_holm(rows)
    return rows


def paired_row(
    ev: Evidence, a: str, b: str, cells: dict[int, dict[tuple[int, int], pd.DataFrame]]
) -> dict[str, Any]:
    """AUC(a) - AUC(b) pooled over every cell where runs of a and b of one seed were scored on
    the same samples by different models (identical scores compare a model with itself): cells
    on one tested period with the same samples are stacked under their joint covariance, other
    test sets add in variance (`paired.pooled_paired_delong`)."""
    runs_a, runs_b = runs_by_seed(ev, a), runs_by_seed(ev, b)
    groups: dict[tuple[int, bytes], tuple[np.ndarray, list, list]] = {}
    for seed in sorted(set(runs_a) & set(runs_b)):
        first, second = cells.get(runs_a[seed], {}), cells.get(runs_b[seed], {})
        for cell in sorted(set(first) & set(second)):
            x, y = first[cell], second[cell]
            ids = x["sample_id"].to_numpy()
            if not np.array_equal(ids, y["sample_id"].to_numpy()):
                continue
            if np.array_equal(x["score"].to_numpy(), y["score"].to_numpy()):
                continue  # one model served both (long_term before m is full_retrain at t)
            key = (cell[1], ids.tobytes())
            labels = x["label"].to_numpy(dtype=np.int64)
            group = groups.setdefault(key, (labels, [], []))
            group[1].append(x["score"].to_numpy())
            group[2].append(y["score"].to_numpy())
    entries = [
        (labels, np.vstack(sa), np.vstack(sb))
        for labels, sa, sb in groups.values()
        if 0 < labels.sum() < len(labels)
    ]
    samples = sum(len(labels) for labels, _, _ in entries)
    if not entries:
        return result_row(f"{a} - {b}", a, b, 0)
    test = pooled_paired_delong(entries)
    return result_row(
        f"{a} - {b}", a, b, samples, test.difference, test.ci_low, test.ci_high, test.p_value
    )


def cells_by_run(served: pd.DataFrame) -> dict[int, dict[tuple[int, int], pd.DataFrame]]:
    ordered = served.sort_values("sample_id")
    return {
        int(run): {
            (int(t), int(e)): rows
            for (t, e), rows in frame.groupby(["train_period", "eval_period"])
        }
        for run, frame in ordered.groupby("run_id")
    }


def runs_by_seed(ev: Evidence, strategy: str) -> dict[int, int]:
    """seed -> the run of `strategy` with that seed (of several, the one with most scored
    samples, then the lowest id)."""
    runs = run_table(ev)
    mine = runs[runs["strategy"] == strategy].sort_values(
        ["seed", "scored", "run_id"], ascending=[True, False, True]
    )
    return {int(seed): int(group["run_id"].iloc[0]) for seed, group in mine.groupby("seed")}


def first_seed_run(ev: Evidence, strategy: str) -> int:
    by_seed = runs_by_seed(ev, strategy)
    return by_seed[min(by_seed)]


def run_table(ev: Evidence) -> pd.DataFrame:
    runs = ev.results.drop_duplicates("run_id")[["run_id", "strategy", "seed"]]
    scored = served_predictions(ev).groupby("run_id").size().rename("scored")
    return runs.join(scored, on="run_id").fillna({"scored": 0})


def served_predictions(ev: Evidence) -> pd.DataFrame:
    p = ev.predictions
    return p[(p["part"] == "test") & (p["role"] == "model")]


def strategies_run(ev: Evidence) -> set[str]:
    return set(run_table(ev).query("scored > 0")["strategy"])


def result_row(
    test: str,
    a: str,
    b: str | None,
    samples: int,
    estimate: float | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    p_value: float | None = None,
) -> dict[str, Any]:
    numbers = [math.nan if v is None else float(v) for v in (estimate, ci_low, ci_high, p_value)]
    cells = (test, a, b, int(samples), *numbers, math.nan, math.nan, math.nan)  # p_holm, uAUC
    return dict(zip(TEST_COLUMNS, cells, strict=True))


def add_holm(rows: list[dict[str, Any]]) -> None:
    tested = [row for row in rows if not math.isnan(row["p_value"])]
    for row, adjusted in zip(tested, holm([r["p_value"] for r in tested]), strict=True):
        row["p_holm"] = float(adjusted)
