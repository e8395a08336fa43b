"""Tables the pages show, computed from `results_frame` rows (pure pandas, no Streamlit).

A results frame holds one row per (run, train period, eval period, role, segment); the served
model's rows have role "model", the parts of an LSAT ensemble "long"/"short" (see
`lsat_core.store.models.PeriodResult`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import pandas as pd

from lsat_core.evaluation.protocols import (
    FIXED_TARGET,
    PROTOCOLS,
    plan_steps,
    summary_eval_periods,
)

MODEL_ROLE = "model"
Z_95 = NormalDist().inv_cdf(0.975)
"""The DeLong intervals in the store are 95% normal intervals (lsat_core.evaluation.metrics)."""

SUMMARY_COLUMNS = (
    "run_id",
    "label",
    "strategy",
    "backbone",
    "seed",
    "mean_auc",
    "ci_low",
    "ci_high",
    "cells",
    "planned_cells",
)
COST_COLUMNS = (
    "run_id",
    "label",
    "strategy",
    "updates",
    "samples_trained",
    "tokens_trained",
    "train_seconds",
    "mean_update_latency_seconds",
)
CURVE_COLUMNS = (
    "run_id",
    "train_period",
    "coefficient",
    "auc",
    "ci_low",
    "ci_high",
    "chosen",
)
SEGMENTS = ("all", "warm", "cold")
SEGMENT_VALUES = ("auc", "uauc", "uauc_users", "n", "positives")


@dataclass(frozen=True)
class PeriodAxis:
    column: str
    """The results column that orders a protocol's results in time."""
    title: str


def period_axis(protocol: str) -> PeriodAxis:
    """Fixed-target tests every model on D_T, so its results line up by update period."""
    if protocol == FIXED_TARGET:
        return PeriodAxis("train_period", "Model updated at period t (tested on D_T)")
    return PeriodAxis("eval_period", "Tested period")


def with_run_labels(results: pd.DataFrame) -> pd.DataFrame:
    """The results with a `label` per run: its name; where runs share a name, its seed when
    their seeds differ (the seeds of one strategy), else its `#id`."""
    runs = results.drop_duplicates("run_id")
    runs = runs[["run_id", "run_name"]].assign(seed=runs.get("seed"))
    names = runs.groupby("run_name")
    sharing, seeds = names["run_id"].transform("size"), names["seed"].transform("nunique")
    by_seed = runs["run_name"] + " · seed " + runs["seed"].astype(str)
    by_id = runs["run_name"] + " #" + runs["run_id"].astype(str)
    labels = runs["run_name"].where(sharing == 1, by_seed.where(seeds == sharing, by_id))
    return results.assign(
        label=results["run_id"].map(dict(zip(runs["run_id"], labels, strict=True)))
    )


def model_rows(results: pd.DataFrame, segment: str = "all") -> pd.DataFrame:
    """The served model's results on one segment of the test items."""
    return results[(results["role"] == MODEL_ROLE) & (results["segment"] == segment)]


def planned_updates(protocol: str, num_periods: int | None) -> int | None:
    """How many updates the full protocol makes; None when the protocol or T is unknown."""
    if protocol not in PROTOCOLS or num_periods is None or num_periods < 2:
        return None
    return len(plan_steps(protocol, num_periods))


def updates_done(results: pd.DataFrame) -> pd.Series:
    """Per run id: how many update periods have at least one result of the served model."""
    return results[results["role"] == MODEL_ROLE].groupby("run_id")["train_period"].nunique()


def protocol_summary(results: pd.DataFrame, protocol: str, num_periods: int) -> pd.DataFrame:
    """Per run: mean AUC over the protocol's summary periods, with a 95% interval.

    Every run with a result appears, with NaN until it has one in the summary periods. `cells`
    counts the AUCs averaged, `planned_cells` those the full protocol plans, so a run still in
    progress shows as such. The interval combines the stored DeLong intervals: tests on
    different periods are disjoint samples, so their errors are independent and add in variance;
    results on one same test period (fixed-target tests every model on D_T) may be correlated,
    so their standard errors are added as if perfectly correlated, which bounds the variance of
    their sum from above.
    """
    periods = summary_eval_periods(protocol, num_periods)
    planned = sum(
        e in periods for step in plan_steps(protocol, num_periods) for e in step.eval_periods
    )
    rows = model_rows(results)
    used = rows[rows["eval_period"].isin(periods) & rows["auc"].notna()]
    # The stored interval is auc -/+ z*se, clipped to [0, 1]: the unclipped side gives z*se.
    half = pd.concat([used["auc"] - used["ci_low"], used["ci_high"] - used["auc"]], axis=1)
    z_se = half.max(axis=1).groupby([used["run_id"], used["eval_period"]]).sum()
    means = used.groupby("run_id").agg(mean_auc=("auc", "mean"), cells=("auc", "size"))
    means["half"] = (z_se**2).groupby(level="run_id").sum() ** 0.5 / means["cells"]
    summary = (
        rows.drop_duplicates("run_id")
        .set_index("run_id")[["label", "strategy", "backbone", "seed"]]
        .join(means)
        .reset_index()
    )
    # Clipped to [0, 1] as every stored AUC interval is (docs/method.md section 9).
    summary["ci_low"] = (summary["mean_auc"] - summary["half"]).clip(lower=0.0)
    summary["ci_high"] = (summary["mean_auc"] + summary["half"]).clip(upper=1.0)
    summary["cells"] = summary["cells"].fillna(0).astype(int)
    summary["planned_cells"] = planned
    return summary.sort_values("run_id", ignore_index=True)[list(SUMMARY_COLUMNS)]


def update_costs(results: pd.DataFrame) -> pd.DataFrame:
    """Per run: updates done and what they cost in all (samples, tokens, seconds).

    Every result row of one update repeats that update's cost, so one row per (run, update
    period) is kept before summing.
    """
    updates = results[results["role"] == MODEL_ROLE].drop_duplicates(["run_id", "train_period"])
    grouped = updates.groupby("run_id", sort=True)
    costs = grouped[["label", "strategy"]].first()
    costs["updates"] = grouped.size()
    # min_count=1: a run that recorded no cost at all shows NaN, not a cost of 0.
    summed = ["samples_trained", "tokens_trained", "train_seconds"]
    costs[summed] = grouped[summed].sum(min_count=1)
    costs["mean_update_latency_seconds"] = grouped["update_latency_seconds"].mean()
    return costs.reset_index()[list(COST_COLUMNS)]


def coefficient_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """The alpha/lambda validation curves (docs/method.md section 3): a row per run, period, value.

    `curves` holds one stored curve per row (`app.store_reads.CURVE_COLUMNS`); `chosen` marks
    the coefficient the update picked.
    """
    records = [
        {
            "run_id": row.run_id,
            "train_period": row.train_period,
            "coefficient": point["coefficient"],
            "auc": point.get("auc"),
            "ci_low": point.get("ci_low"),
            "ci_high": point.get("ci_high"),
            "chosen": _same(point["coefficient"], row.coefficient),
        }
        for row in curves.itertuples(index=False)
        for point in row.coefficient_curve
    ]
    return pd.DataFrame.from_records(records, columns=list(CURVE_COLUMNS)).astype(
        {"auc": "float64", "ci_low": "float64", "ci_high": "float64"}
    )


def _same(a: float, b: float | None) -> bool:
    return b is not None and not math.isnan(b) and math.isclose(a, b, abs_tol=1e-9)


def segment_table(results: pd.DataFrame) -> pd.DataFrame:
    """The served model's AUC, uAUC and counts side by side for all, warm and cold test items.

    One row per (run, train period, eval period), with `auc_<segment>`, `uauc_<segment>` and
    the users it averages `uauc_users_<segment>`, `n_<segment>` and `positives_<segment>` for
    each of all/warm/cold (NaN where a segment, or its uAUC, was not recorded).
    """
    rows = results[results["role"] == MODEL_ROLE]
    keys = ["run_id", "label", "strategy", "train_period", "eval_period"]
    # (run, train period, eval period, role, segment) is unique: uq_period_results_cell.
    wide = rows.set_index([*keys, "segment"])[list(SEGMENT_VALUES)].unstack("segment")
    wide.columns = [f"{value}_{segment}" for value, segment in wide.columns]
    columns = [f"{value}_{segment}" for segment in SEGMENTS for value in SEGMENT_VALUES]
    return wide.reindex(columns=columns).reset_index()


def segment_means(segments: pd.DataFrame) -> pd.DataFrame:
    """Per run, from `segment_table`: mean AUC on warm and on cold items, and the items scored."""
    return (
        segments.groupby(["run_id", "label", "strategy"], sort=True)
        .agg(
            mean_auc_warm=("auc_warm", "mean"),
            mean_auc_cold=("auc_cold", "mean"),
            n_warm=("n_warm", "sum"),
            n_cold=("n_cold", "sum"),
            cells=("eval_period", "size"),
        )
        .reset_index()
    )


def auc_table(results: pd.DataFrame, axis: PeriodAxis) -> pd.DataFrame:
    """The served model's AUC on all items: one row per period, one column per run, and beside
    it "<run> uAUC" where the run recorded one (results before store revision 0002 did not)."""
    rows = model_rows(results)
    aucs = rows.pivot_table(index=axis.column, columns="label", values="auc", aggfunc="first")
    uaucs = rows.pivot_table(index=axis.column, columns="label", values="uauc", aggfunc="first")
    columns = {}
    for label in aucs.columns:
        columns[label] = aucs[label]
        if label in uaucs and uaucs[label].notna().any():
            columns[f"{label} uAUC"] = uaucs[label]
    return pd.DataFrame(columns, index=aucs.index)


HEADLINE_VIEW_COLUMNS = (
    "run_id",
    "label",
    "experiment_id",
    "strategy",
    "seed",
    "mean_auc",
    "ci_low",
    "ci_high",
    "mean_uauc",
    "uauc_users",
    "cells",
    "protocol_cells",
)


def headline_view(
    headline: pd.DataFrame, results: pd.DataFrame, protocol: str, num_periods: int
) -> pd.DataFrame:
    """A comparison report's headline (`lsat_core.evaluation.report.HEADLINE_COLUMNS`) with
    each run's label and experiment, and `protocol_cells`: how many of the protocol's summary
    cells the run has tested so far, of those planned ("1 / 3")."""
    runs = results.drop_duplicates("run_id").set_index("run_id")[["label", "experiment_id"]]
    view = headline.join(runs, on="run_id")
    if planned_updates(protocol, num_periods) is None:
        view["protocol_cells"] = ""
    else:
        progress = protocol_summary(results, protocol, num_periods).set_index("run_id")
        view["protocol_cells"] = [
            f"{progress.loc[r, 'cells']} / {progress.loc[r, 'planned_cells']}"
            if r in progress.index
            else ""
            for r in view["run_id"]
        ]
    return view[list(HEADLINE_VIEW_COLUMNS)]


PAIR_CELL_COLUMNS = (
    "train_period",
    "eval_period",
    "auc_a",
    "auc_b",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
)


@dataclass(frozen=True)
class PairView:
    pooled: pd.Series
    """AUC(a) - AUC(b) over the headline cells: auc_a, auc_b, difference, ci_low, ci_high, z,
    p_value, p_holm, cells."""
    cells: pd.DataFrame
    """The same per tested cell: PAIR_CELL_COLUMNS."""


def pair_view(paired: pd.DataFrame, paired_cells: pd.DataFrame, a: int, b: int) -> PairView | None:
    """Run a against run b from a comparison report's paired tests (stored lower id first: the
    other order flips the signs), or None when the two were not tested on the same samples."""
    first, second = sorted((a, b))
    pooled = paired[(paired["run_a"] == first) & (paired["run_b"] == second)]
    if pooled.empty:
        return None
    cells = paired_cells[(paired_cells["run_a"] == first) & (paired_cells["run_b"] == second)]
    row = pooled.iloc[0].copy()
    if (first, second) != (a, b):
        row, cells = _flipped(row), _flipped(cells)
    return PairView(row, cells[list(PAIR_CELL_COLUMNS)].reset_index(drop=True))


def _flipped(tests: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """The same tests read as b against a."""
    flipped = tests.copy()
    flipped["auc_a"], flipped["auc_b"] = tests["auc_b"], tests["auc_a"]
    flipped["difference"], flipped["z"] = -tests["difference"], -tests["z"]
    flipped["ci_low"], flipped["ci_high"] = -tests["ci_high"], -tests["ci_low"]
    return flipped


PAIR_RUN_COLUMNS = (
    "label",
    "train_period",
    "eval_period",
    "auc",
    "ci_low",
    "ci_high",
    "uauc",
    "uauc_users",
    "n",
)


def pair_runs(
    results: pd.DataFrame, a: int, b: int, cells: Sequence[tuple[int, int]]
) -> pd.DataFrame:
    """The two runs' own AUC with its interval and uAUC with its users in each of `cells`
    (PAIR_RUN_COLUMNS), a's rows first."""
    rows = model_rows(results)
    rows = rows[rows["run_id"].isin((a, b))]
    chosen = pd.MultiIndex.from_arrays([rows["train_period"], rows["eval_period"]]).isin(cells)
    rows = rows[chosen].assign(first=rows["run_id"] != a)
    return rows.sort_values(["first", "train_period", "eval_period"])[list(PAIR_RUN_COLUMNS)]


def labelled_pairs(paired: pd.DataFrame, labels: dict[int, str]) -> pd.DataFrame:
    """Every pair's pooled test with the runs' labels beside their ids."""
    return paired.assign(label_a=paired["run_a"].map(labels), label_b=paired["run_b"].map(labels))[
        ["label_a", "label_b", *paired.columns]
    ]
