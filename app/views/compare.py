"""Compare experiments: their runs side by side by `comparison_report` (the numbers `lsat
report` prints): the headline AUC and uAUC over the periods every run was tested on, the summary
over seeds, AUC per tested period and against cost with the floors as reference lines, paired
tests of any two runs, and the alpha/lambda validation curves of the LSAT strategies.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import analysis, charts, learning_curves_panel
from app.comparison_reads import Compared, compared
from app.experiments_choice import choose_experiments
from app.paper_reference import REFERENCE_BACKBONE, REFERENCE_PROTOCOL, paper_auc
from app.widgets import chart_with_csv, csv_download, select_id
from lsat_core.errors import InputError
from lsat_core.evaluation.protocols import summary_eval_periods
from lsat_core.evaluation.report import ComparisonReport

# Module-level strings would be drawn on the page (Streamlit's "magic"): notes are comments here.
# Cost measures of a run (summed over its updates) offered on the accuracy-cost chart.
COSTS = {
    "samples_trained": "Samples trained",
    "train_seconds": "Training seconds",
    "tokens_trained": "Tokens trained",
}
# docs/method.md section 3: alpha weighs the ensemble's outputs, lambda the merged adapters.
COEFFICIENT_NAMES = {"lsat_en": "alpha", "lsat_en_full": "alpha", "lsat_ta": "lambda"}
AUC = st.column_config.NumberColumn(format="%.4f")
P_VALUE = st.column_config.NumberColumn(format="%.2g")
AUC_COLUMNS = (
    *("auc", "uauc", "mean_auc", "ci_low", "ci_high", "mean_uauc", "paper_auc", "auc_a", "auc_b"),
)
DIFFERENCE_COLUMNS = ("difference", "sampling_sd", "seeds_sd")
NUMBER_FORMATS = (
    {name: AUC for name in (*AUC_COLUMNS, *DIFFERENCE_COLUMNS)}
    | {f"{k}_{v}": AUC for k in ("sd", "min", "max") for v in ("auc", "uauc")}
    | {"p_value": P_VALUE, "p_holm": P_VALUE, "z": st.column_config.NumberColumn(format="%.2f")}
)


def _periods_text(cells: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(f"D_{e}" for e in sorted({e for _, e in cells}))


def _headline_section(shown: Compared, name: str) -> pd.DataFrame:
    report = shown.report
    standard = summary_eval_periods(shown.protocol, shown.num_periods)
    st.caption(
        f"Mean AUC over {_periods_text(report.cells) or 'no period'} ({len(report.cells)} "
        f"cell{'s' if len(report.cells) != 1 else ''} every run was tested on; the "
        f"{shown.protocol} protocol's summary periods are "
        f"D_{standard[0]}..D_{standard[-1]}), with a 95% interval combining the per-cell DeLong "
        "intervals. uAUC: the mean per-user AUC, users = the users with both labels it averages "
        "per cell. protocol_cells: the summary cells a run has tested of those planned."
    )
    if report.note:
        st.warning(f"Not the protocol's standard headline: {report.note}.")
    table = analysis.headline_view(
        report.headline, shown.results, shown.protocol, shown.num_periods
    )
    if shown.protocol == REFERENCE_PROTOCOL and shown.dataset is not None:
        table["paper_auc"] = [paper_auc(s, shown.dataset) for s in table["strategy"]]
        table["paper_auc"] = table["paper_auc"].astype("float64")
        st.caption(
            f"paper_auc: Shi et al., CIKM 2024, Table 2 ({REFERENCE_BACKBONE} backbone, "
            f"{shown.dataset}, next-period protocol, mean over D_11..D_20). Our default "
            "backbone is far smaller: compare the ranking, not the level."
        )
    # Every strategy's row in view: the default height hides all but ten (the quick preset has
    # eleven strategies).
    st.dataframe(
        table,
        hide_index=True,
        column_config=NUMBER_FORMATS,
        height="content",
        key="summary_table",
    )
    csv_download(table, f"{name}_summary")
    return table


def _seeds_section(shown: Compared, name: str) -> None:
    report = shown.report
    if not (report.seeds["seeds"] > 1).any():
        st.caption(
            "Every strategy ran with one seed: the spread over training runs is not measured "
            "(launch with several seeds to see it)."
        )
        return
    st.caption(
        "Per variant (a strategy's runs that differ only in seed): each seed's headline AUC, "
        "and the mean, sample standard deviation and range over seeds."
    )
    st.dataframe(report.seeds, hide_index=True, column_config=NUMBER_FORMATS, key="seeds_table")
    csv_download(report.seeds, f"{name}_seeds")
    if report.seed_paired.empty:
        return
    st.caption(
        "Variants paired seed with seed over the headline cells: the mean difference of AUCs, "
        "its sampling part (DeLong, every seed's cells on the shared test samples) and the "
        "seeds' part (their differences' spread), a 95% interval and p from both, Holm-adjusted "
        "over the pairs (docs/method.md section 9)."
    )
    st.dataframe(
        report.seed_paired, hide_index=True, column_config=NUMBER_FORMATS, key="seed_pairs"
    )
    csv_download(report.seed_paired, f"{name}_seed_pairs")


def _periods_section(shown: Compared, name: str) -> None:
    rows = analysis.model_rows(shown.results)
    axis = analysis.period_axis(shown.protocol)
    data = rows[["label", "strategy", axis.column, "auc", "ci_low", "ci_high", "n"]]
    chart = charts.auc_lines(
        data, period_column=axis.column, period_title=axis.title, num_periods=shown.num_periods
    )
    chart_with_csv(chart, data, f"{name}_auc_per_period")


def _cost_section(summary: pd.DataFrame, results: pd.DataFrame, name: str) -> None:
    costs = analysis.update_costs(results)
    st.dataframe(costs, hide_index=True, key="cost_table")
    cost = st.radio(
        "Cost", list(COSTS), format_func=COSTS.__getitem__, horizontal=True, key="cost_measure"
    )
    data = summary[["run_id", "label", "strategy", "mean_auc", "ci_low", "ci_high"]].merge(
        costs[["run_id", cost]], on="run_id"
    )
    # A floor is a reference line whatever its cost; a run needs a cost to be placed.
    floor = data["strategy"].isin(charts.FLOORS)
    data = data[data["mean_auc"].notna() & (data[cost].notna() | floor)]
    if data.empty or floor.loc[data.index].all():
        st.caption(f"No run has both a headline AUC and {COSTS[cost].lower()} yet.")
        return
    chart = charts.accuracy_vs_cost(data, cost_column=cost, cost_title=COSTS[cost])
    chart_with_csv(chart, data, f"{name}_accuracy_vs_{cost}")


def _paired_section(shown: Compared, labels: dict[int, str], name: str) -> None:
    report = shown.report
    periods = _periods_text(report.cells)
    st.caption(
        f"Two runs scored on the same test samples in every headline cell ({periods}), across "
        "experiments too: per cell the paired DeLong test of AUC(a) - AUC(b), and pooled over "
        "the cells (docs/method.md section 9)."
    )
    left, right = st.columns(2)
    with left:
        a = select_id("Run a", labels, "run_a")
    with right:
        others = {i: label for i, label in labels.items() if i != a}
        b = select_id("Run b", others, "run_b") if others else None
    if a is None or b is None:
        st.caption("Only one run: nothing to pair.")
    else:
        _one_pair(report, a, b, labels)
        st.caption("The two runs' own AUC and uAUC in those cells:")
        own = analysis.pair_runs(shown.results, a, b, report.cells)
        st.dataframe(own, hide_index=True, column_config=NUMBER_FORMATS, key="pair_runs")
    if report.paired.empty:
        return
    st.caption(
        f"Every pair that shares its test samples, pooled over {periods}; p_holm: Holm-adjusted "
        f"over the {len(report.paired)} pairs."
    )
    pairs = analysis.labelled_pairs(report.paired, labels)
    st.dataframe(pairs, hide_index=True, column_config=NUMBER_FORMATS, key="all_pairs")
    csv_download(pairs, f"{name}_pairs")


def _one_pair(report: ComparisonReport, a: int, b: int, labels: dict[int, str]) -> None:
    pair = analysis.pair_view(report.paired, report.paired_cells, a, b)
    if pair is None:
        st.warning(
            f"{labels[a]} and {labels[b]} were not scored on the same test samples in every "
            f"headline cell ({_periods_text(report.cells)}), or one of them kept no "
            "predictions (runs recorded before store revision 0002 kept none): no paired test."
        )
        return
    pooled = pair.pooled
    st.markdown(
        f"**{labels[a]} - {labels[b]}** over {int(pooled['cells'])} cells: "
        f"{pooled['difference']:+.4f} (95% interval {pooled['ci_low']:+.4f} .. "
        f"{pooled['ci_high']:+.4f}), p = {pooled['p_value']:.2g}, "
        f"Holm-adjusted p = {pooled['p_holm']:.2g}"
    )
    st.dataframe(pair.cells, hide_index=True, column_config=NUMBER_FORMATS, key="pair_cells")


def _curves_section(curves: pd.DataFrame, runs: pd.DataFrame) -> None:
    # The curves and the results are read separately: while workers write, a run may have its
    # curve before its results reach this page.
    runs = runs[runs["run_id"].isin(curves["run_id"])].set_index("run_id")
    if runs.empty:
        st.caption("No run of these experiments stores validation curves (LSAT-EN and LSAT-TA do).")
        return
    run_id = select_id("Run", runs["label"].to_dict(), "run")
    coefficient = COEFFICIENT_NAMES.get(runs.loc[run_id, "strategy"], "coefficient")
    data = analysis.coefficient_curves(curves[curves["run_id"] == run_id])
    chart = charts.coefficient_curves(data, coefficient_title=coefficient)
    chart_with_csv(chart, data, f"run_{run_id}_{coefficient}_curves")
    chosen = data[data["chosen"]]
    st.caption(
        f"{coefficient} chosen per update period: "
        + ", ".join(f"t={r.train_period}: {r.coefficient:g}" for r in chosen.itertuples())
    )


st.header("Compare strategies")
experiment_ids = choose_experiments()
if not experiment_ids:
    if experiment_ids is not None:
        st.info("Choose at least one experiment.")
    st.stop()
try:
    shown = compared(experiment_ids)
except InputError as error:
    st.error(f"These experiments cannot be set side by side: {error}")
    st.stop()
if shown.results.empty:
    st.info("These experiments have no result yet; the Run monitor shows their progress.")
    st.stop()
name = "experiments_" + "_".join(map(str, experiment_ids))
run_labels = dict(zip(shown.results["run_id"], shown.results["label"], strict=False))
st.subheader("Headline AUC")
summary = _headline_section(shown, name)
st.subheader("Over seeds")
_seeds_section(shown, name)
st.subheader("AUC per tested period")
_periods_section(shown, name)
st.subheader("Accuracy against cost")
_cost_section(summary, shown.results, name)
st.subheader("Paired tests")
_paired_section(shown, run_labels, name)
st.subheader("Learning curves")
learning_curves_panel.compare_section(experiment_ids)
st.subheader("Validation curves of the ensemble weight")
_curves_section(
    shown.curves, shown.results.drop_duplicates("run_id")[["run_id", "label", "strategy"]]
)
