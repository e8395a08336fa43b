"""The classic models against their floors: the table of issue 11, items 5 and 6.

    python bench/classic_floor_table.py --store DIR [--before BENCH.json] [--reference logreg]
        [--out FILE.json]

--store is the --data-dir of a `bench/bench_classic_protocols.py` run (its store holds the
results and the served models' test predictions). Printed: per strategy, the mean global AUC
over the tested periods with its 95% interval, the mean uAUC with the users it averages per
period (`lsat_core.evaluation.report.comparison_report`, as `lsat report`), and the pooled
paired DeLong test of every strategy against --reference (Holm-adjusted over those tests).
--before adds the mean global AUC of another bench run from its --out JSON (per-period AUCs
and intervals; that run's store may predate stored predictions, so it has no uAUC or paired
tests), with the same interval: the per-period variances add, sum(var_t) / T^2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from lsat_core.evaluation.paired import holm
from lsat_core.evaluation.report import ComparisonReport, comparison_report
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, read_scope
from lsat_core.store.models import Experiment
from lsat_core.store.queries import comparison

PERIOD_COLUMNS = (
    "strategy",
    "train_period",
    "eval_period",
    "auc",
    "ci_low",
    "ci_high",
    "uauc",
    "uauc_users",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="the bench's --data-dir")
    parser.add_argument("--before", type=Path, help="another bench run's --out JSON")
    parser.add_argument("--reference", default="logreg")
    parser.add_argument("--out", type=Path, help="write the table as JSON")
    args = parser.parse_args()
    report, per_period = store_report(args.store)
    table = headline(report)
    if args.before:
        before = json_headline(json.loads(args.before.read_text()), report)
        table = table.join(before, how="outer")
    paired = against(report, args.reference)
    print(f"protocol {report.protocol}, tested periods {periods_text(report)}")
    if report.note:
        print(f"note: {report.note}")
    print(table.round(4).to_string())
    print(f"\npaired DeLong tests against {args.reference}, pooled over the tested periods:")
    print(paired.round(4).to_string() if len(paired) else "  none (no stored predictions)")
    if args.out:
        payload = {
            "command": "python " + " ".join(sys.argv),
            "tested_periods": sorted({e for _, e in report.cells}),
            "table": table.reset_index().replace({np.nan: None}).to_dict(orient="records"),
            "paired": paired.reset_index().to_dict(orient="records"),
            "per_period": per_period.replace({np.nan: None}).to_dict(orient="records"),
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(payload, indent=1))


def store_report(data_dir: Path) -> tuple[ComparisonReport, pd.DataFrame]:
    """The report of every run in the store, and the per-period rows of its served models."""
    engine = make_engine(Settings.for_data_dir(data_dir).database_url)
    try:
        with read_scope(engine) as session:
            ids = list(session.scalars(select(Experiment.id)))
            compared = comparison(session, ids)
    finally:
        engine.dispose()
    results = compared.results
    served = results[(results["role"] == "model") & (results["segment"] == "all")]
    report = comparison_report(
        results, compared.predictions, compared.protocol, compared.num_periods
    )
    return report, served[list(PERIOD_COLUMNS)]


def headline(report: ComparisonReport) -> pd.DataFrame:
    table = report.headline.set_index("strategy")
    return table[["mean_auc", "ci_low", "ci_high", "mean_uauc", "uauc_users", "cells"]]


def json_headline(bench: dict, report: ComparisonReport) -> pd.DataFrame:
    """Mean AUC and interval per strategy over the report's cells, from a bench's JSON."""
    results = pd.DataFrame(bench.get("results") or bench["per_period"])
    cells = set(report.cells)
    if "role" in results:  # a bench's own JSON; bench/results/ keeps only these rows
        results = results[(results["role"] == "model") & (results["segment"] == "all")]
    served = results[
        [c in cells for c in zip(results["train_period"], results["eval_period"], strict=True)]
    ]
    half = np.maximum(served["auc"] - served["ci_low"], served["ci_high"] - served["auc"])
    grouped = served.assign(half2=half**2).groupby("strategy")
    mean, count = grouped["auc"].mean(), grouped["auc"].size()
    spread = grouped["half2"].sum() ** 0.5 / count
    return pd.DataFrame(
        {
            "before_auc": mean,
            "before_ci_low": mean - spread,
            "before_ci_high": mean + spread,
            "before_cells": count,
        }
    )


def against(report: ComparisonReport, reference: str) -> pd.DataFrame:
    """Every run minus the reference run: pooled difference, interval, p and Holm's p."""
    names = report.headline.set_index("run_id")["strategy"]
    refs = names.index[names == reference]
    if not len(refs) or not len(report.paired):
        return pd.DataFrame()
    ref = int(refs[0])
    rows = []
    for pair in report.paired.itertuples():
        if ref not in (pair.run_a, pair.run_b):
            continue
        sign = 1.0 if pair.run_b == ref else -1.0
        other = pair.run_a if pair.run_b == ref else pair.run_b
        low, high = sorted((sign * pair.ci_low, sign * pair.ci_high))
        rows.append(
            {
                "strategy": names[other],
                "difference": sign * pair.difference,
                "ci_low": low,
                "ci_high": high,
                "p_value": pair.p_value,
            }
        )
    table = pd.DataFrame(rows).set_index("strategy")
    table["p_holm"] = holm(table["p_value"].to_numpy())
    return table


def periods_text(report: ComparisonReport) -> str:
    periods = sorted({e for _, e in report.cells})
    return f"D_{periods[0]}..D_{periods[-1]} ({len(report.cells)} cells)" if periods else "none"


if __name__ == "__main__":
    main()
