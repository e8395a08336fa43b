"""The classic models against their floors: the table of issue 11, items 5 and 6, and of the
update variants of issue 13.

    python bench/classic_floor_table.py --store DIR [--strategies a,b,...] [--before BENCH.json]
        [--reference logreg,popularity] [--against-full-retrain] [--out FILE.json]

--store is the --data-dir of a `bench/bench_classic_protocols.py` or
`bench/bench_update_variants.py` run (its store holds the results and the served models' test
predictions; every experiment in it is read, --strategies keeps those strategies' runs).
Printed: per strategy, the mean global AUC over the tested periods with its 95% interval, the
mean uAUC with the users it averages per period (`lsat_core.evaluation.report.comparison_report`,
as `lsat report`), and the mean samples trained and train seconds per update over those periods;
then the pooled paired DeLong test of every strategy against each --reference and, with
--against-full-retrain, of every `<model>:<update>` against `<model>:full_retrain`,
Holm-adjusted over all the tests listed.
--earlier takes the strategies the store lacks from an earlier --out JSON of this table (its
headline, per-period rows, and its tests against a reference whose per-period AUCs the store
reproduces: the same reference model scored the same test samples), so that an update rerun on
a newer store sits beside rows it did not rerun; its tests join the Holm family.
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
from lsat_core.evaluation.report import HEADLINE_COLUMNS as REPORT_HEADLINE
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
    "samples_trained",
    "train_seconds",
)
FULL_RETRAIN = "full_retrain"
# The report's headline columns from the AUC on, then the cost per update this table adds.
REPORT_COLUMNS = REPORT_HEADLINE[REPORT_HEADLINE.index("mean_auc") :]
HEADLINE_COLUMNS = (*REPORT_COLUMNS, "samples_per_update", "train_seconds_per_update")
STORE = "store"
EARLIER_REFERENCE = "logreg"
"""The reference of an earlier JSON's tests that name none (--reference's default then)."""
AUC_TOLERANCE = 1e-9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="the bench's --data-dir")
    parser.add_argument("--strategies", help="keep these strategies' runs (default: all)")
    parser.add_argument("--earlier", type=Path, help="an earlier --out JSON of this table")
    parser.add_argument("--before", type=Path, help="another bench run's --out JSON")
    parser.add_argument("--reference", default="logreg", help="strategies to test against")
    parser.add_argument(
        "--against-full-retrain",
        action="store_true",
        help="also test every <model>:<update> against <model>:full_retrain",
    )
    parser.add_argument("--out", type=Path, help="write the table as JSON")
    args = parser.parse_args()
    kept = args.strategies.split(",") if args.strategies else None
    report, per_period = store_report(args.store, kept)
    table = headline(report).join(cost_per_update(per_period, report)).assign(source=STORE)
    pairs = reference_pairs(report, args.reference.split(","))
    if args.against_full_retrain:
        pairs += full_retrain_pairs(report)
    paired = tests(report, pairs)
    if args.earlier:
        earlier = json.loads(args.earlier.read_text())
        table, paired, per_period = with_earlier(
            earlier, str(args.earlier), table, paired, per_period
        )
    paired = adjusted(paired)
    if args.before:
        before = json_headline(json.loads(args.before.read_text()), report)
        table = table.join(before, how="outer")
    print(f"protocol {report.protocol}, tested periods {periods_text(report)}")
    if report.note:
        print(f"note: {report.note}")
    print(table.round(4).to_string())
    print("\npaired DeLong tests (strategy minus reference), pooled over the tested periods:")
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


def store_report(
    data_dir: Path, strategies: list[str] | None = None
) -> tuple[ComparisonReport, pd.DataFrame]:
    """The report of every run in the store (of `strategies` only, when given), and the
    per-period rows of its served models."""
    engine = make_engine(Settings.for_data_dir(data_dir).database_url)
    try:
        with read_scope(engine) as session:
            ids = list(session.scalars(select(Experiment.id)))
            compared = comparison(session, ids)
    finally:
        engine.dispose()
    results, predictions = compared.results, compared.predictions
    if strategies is not None:
        missing = set(strategies) - set(results["strategy"])
        if missing:
            raise SystemExit(f"not in the store: {', '.join(sorted(missing))}")
        results = results[results["strategy"].isin(strategies)]
        predictions = predictions[predictions["run_id"].isin(results["run_id"])]
    served = results[(results["role"] == "model") & (results["segment"] == "all")]
    report = comparison_report(results, predictions, compared.protocol, compared.num_periods)
    return report, served[list(PERIOD_COLUMNS)]


def headline(report: ComparisonReport) -> pd.DataFrame:
    table = report.headline.set_index("strategy")
    return table[list(REPORT_COLUMNS)]


def cost_per_update(per_period: pd.DataFrame, report: ComparisonReport) -> pd.DataFrame:
    """Per strategy, the mean samples trained and train seconds of the updates whose models the
    report's cells test."""
    served = per_period[in_cells(per_period, report)]
    # One row per update: a model tested on several periods trained once.
    updates = served.drop_duplicates(["strategy", "train_period"])
    grouped = updates.groupby("strategy")
    return pd.DataFrame(
        {
            "samples_per_update": grouped["samples_trained"].mean(),
            "train_seconds_per_update": grouped["train_seconds"].mean(),
        }
    )


def json_headline(bench: dict, report: ComparisonReport) -> pd.DataFrame:
    """Mean AUC and interval per strategy over the report's cells, from a bench's JSON."""
    results = pd.DataFrame(bench.get("results") or bench["per_period"])
    if "role" in results:  # a bench's own JSON; bench/results/ keeps only these rows
        results = results[(results["role"] == "model") & (results["segment"] == "all")]
    served = results[in_cells(results, report)]
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


PAIRED_COLUMNS = ("strategy", "reference", "difference", "ci_low", "ci_high", "p_value")


def reference_pairs(report: ComparisonReport, references: list[str]) -> list[tuple[str, str]]:
    """(strategy, reference) for every strategy against every reference in the report; two
    references are tested against each other once."""
    names = list(report.headline["strategy"])
    pairs: list[tuple[str, str]] = []
    for reference in (r for r in references if r in names):
        for name in names:
            if name != reference and (reference, name) not in pairs:
                pairs.append((name, reference))
    return pairs


def full_retrain_pairs(report: ComparisonReport) -> list[tuple[str, str]]:
    """(<model>:<update>, <model>:full_retrain) for every other update of a model whose full
    retraining the report holds."""
    names = set(report.headline["strategy"])
    pairs = []
    for name in sorted(names):
        model, _, update = name.partition(":")
        full = f"{model}:{FULL_RETRAIN}"
        if update and update != FULL_RETRAIN and full in names:
            pairs.append((name, full))
    return pairs


def tests(report: ComparisonReport, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Per (strategy, reference): the pooled difference strategy minus reference with its
    interval and p; pairs the report has no test of are left out (no stored predictions, or no
    shared test samples)."""
    run_of = dict(zip(report.headline["strategy"], report.headline["run_id"], strict=True))
    by_runs = {(p.run_a, p.run_b): p for p in report.paired.itertuples()}
    rows = []
    for name, reference in pairs:
        run, ref = int(run_of[name]), int(run_of[reference])
        pair = by_runs.get((min(run, ref), max(run, ref)))
        if pair is None:
            continue
        # The report tests the lower run id minus the higher.
        sign = 1.0 if pair.run_b == ref else -1.0
        low, high = sorted((sign * pair.ci_low, sign * pair.ci_high))
        rows.append(
            {
                "strategy": name,
                "reference": reference,
                "difference": sign * pair.difference,
                "ci_low": low,
                "ci_high": high,
                "p_value": pair.p_value,
            }
        )
    return pd.DataFrame(rows, columns=list(PAIRED_COLUMNS)).set_index(["strategy", "reference"])


def adjusted(paired: pd.DataFrame) -> pd.DataFrame:
    """The tests with Holm's p over all of them: one family, whatever their reference."""
    return paired.assign(p_holm=holm(paired["p_value"].to_numpy()))


def with_earlier(
    earlier: dict,
    source: str,
    table: pd.DataFrame,
    paired: pd.DataFrame,
    per_period: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The table, tests and per-period rows with the earlier JSON's strategies that `table`
    lacks; an earlier test only where its reference's per-period AUCs are the store's."""
    rows = pd.DataFrame(earlier["table"]).set_index("strategy")
    taken = [s for s in rows.index if s not in table.index]
    added = rows.loc[taken].reindex(columns=list(HEADLINE_COLUMNS)).assign(source=source)
    then = pd.DataFrame(earlier["per_period"])
    then_rows = then[then["strategy"].isin(taken)].reindex(columns=per_period.columns)
    tested = pd.DataFrame(earlier["paired"])
    if "reference" not in tested:
        tested["reference"] = EARLIER_REFERENCE
    tested = tested[tested["strategy"].isin(taken)]
    same = [r for r in tested["reference"].unique() if reproduced(then, per_period, r)]
    for reference in set(tested["reference"]) - set(same):
        print(f"note: {source}'s tests against {reference} left out (its AUCs differ here)")
    tested = tested[tested["reference"].isin(same)].set_index(["strategy", "reference"])
    return (
        pd.concat([table, added]),
        pd.concat([paired, tested[list(PAIRED_COLUMNS[2:])]]),
        pd.concat([per_period, then_rows], ignore_index=True),
    )


def reproduced(then: pd.DataFrame, now: pd.DataFrame, strategy: str) -> bool:
    """Whether `strategy` has the same AUC in every period in both per-period tables."""
    key = ["train_period", "eval_period"]
    a = then[then["strategy"] == strategy].set_index(key)["auc"].sort_index()
    b = now[now["strategy"] == strategy].set_index(key)["auc"].sort_index()
    return len(a) > 0 and a.index.equals(b.index) and bool(np.allclose(a, b, atol=AUC_TOLERANCE))


def in_cells(rows: pd.DataFrame, report: ComparisonReport) -> list[bool]:
    """Which per-period rows are of the report's cells."""
    cells = set(report.cells)
    return [c in cells for c in zip(rows["train_period"], rows["eval_period"], strict=True)]


def periods_text(report: ComparisonReport) -> str:
    periods = sorted({e for _, e in report.cells})
    return f"D_{periods[0]}..D_{periods[-1]} ({len(report.cells)} cells)" if periods else "none"


if __name__ == "__main__":
    main()
