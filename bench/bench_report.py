"""Time of a comparison report at the paper preset's scale (about 3 million predictions).

    python bench/bench_report.py [--runs 6] [--periods 10] [--samples 50000]

Builds in memory the served models' test predictions of `--runs` runs over `--periods`
next-period cells of `--samples` samples each (T = 2 x periods, so the cells are the protocol's
summary periods), every run on the same samples, and times `comparison_report`: the headline,
then the per-cell and pooled paired DeLong tests of every pair of runs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from lsat_core.evaluation.report import comparison_report


def synthetic_comparison(runs: int, periods: int, samples: int) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(0)
    num_periods = 2 * periods
    predictions, results = [], []
    for e in range(num_periods - periods + 1, num_periods + 1):
        labels = rng.integers(0, 2, samples)
        shared = rng.normal(size=samples)
        users = rng.integers(1, 6041, samples).astype(str)
        for run_id in range(1, runs + 1):
            scores = labels * (0.5 + 0.1 * run_id) + shared + rng.normal(size=samples)
            cell = {"run_id": run_id, "train_period": e - 1, "eval_period": e}
            predictions.append(
                pd.DataFrame(
                    cell
                    | {"part": "test", "role": "model", "coefficient": np.nan}
                    | {"sample_id": np.arange(samples) + e * samples, "user": users}
                    | {"item": "i", "label": labels, "warm": True, "score": scores}
                )
            )
            results.append(
                cell
                | {"run_name": f"run {run_id}", "strategy": f"s{run_id}", "seed": 0}
                | {"role": "model", "segment": "all", "auc": 0.7, "ci_low": 0.69}
                | {"ci_high": 0.71, "uauc": 0.6, "uauc_users": 5000}
            )
    return pd.concat(predictions, ignore_index=True), pd.DataFrame(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--periods", type=int, default=10)
    parser.add_argument("--samples", type=int, default=50_000)
    args = parser.parse_args()
    predictions, results = synthetic_comparison(args.runs, args.periods, args.samples)
    started = time.perf_counter()
    report = comparison_report(results, predictions, "next-period", 2 * args.periods)
    seconds = time.perf_counter() - started
    assert report.standard and len(report.paired) == args.runs * (args.runs - 1) // 2
    print(
        f"{len(predictions):,} predictions, {len(report.paired)} pairs, "
        f"{len(report.paired_cells)} cell tests: report in {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
