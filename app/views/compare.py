"""Compare the strategies of an experiment: the protocol's headline AUC beside the paper's,
accuracy against cost, and the alpha/lambda validation curves of the LSAT strategies.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import analysis, charts, service
from app.experiment_picker import ChosenExperiment, choose_experiment
from app.paper_reference import REFERENCE_BACKBONE, REFERENCE_PROTOCOL, paper_auc
from app.widgets import chart_with_csv, csv_download, select_id
from lsat_core.evaluation.protocols import PROTOCOLS, summary_eval_periods

# Module-level strings would be drawn on the page (Streamlit's "magic"): notes are comments here.
# Cost measures of a run (summed over its updates) offered on the accuracy-cost chart.
COSTS = {
    "samples_trained": "Samples trained",
    "train_seconds": "Training seconds",
    "tokens_trained": "Tokens trained",
}
# docs/method.md section 3: alpha weighs the ensemble's outputs, lambda the merged adapters.
COEFFICIENT_NAMES = {"lsat_en": "alpha", "lsat_en_full": "alpha", "lsat_ta": "lambda"}
AUC_COLUMN = st.column_config.NumberColumn(format="%.4f")


def _summary_section(results: pd.DataFrame, experiment: ChosenExperiment) -> pd.DataFrame:
    periods = summary_eval_periods(experiment.protocol, experiment.num_periods)
    st.caption(
        f"Mean AUC over the tested periods D_{periods[0]}..D_{periods[-1]} of the "
        f"{experiment.protocol} protocol, with a 95% interval combining the per-period DeLong "
        "intervals; cells = AUCs averaged so far."
    )
    summary = analysis.protocol_summary(results, experiment.protocol, experiment.num_periods)
    if experiment.protocol == REFERENCE_PROTOCOL and experiment.dataset is not None:
        summary["paper_auc"] = [paper_auc(s, experiment.dataset) for s in summary["strategy"]]
        summary["paper_auc"] = summary["paper_auc"].astype("float64")
        st.caption(
            f"paper_auc: Shi et al., CIKM 2024, Table 2 ({REFERENCE_BACKBONE} backbone, "
            f"{experiment.dataset}, next-period protocol, mean over D_11..D_20). Our default "
            "backbone is far smaller: compare the ranking, not the level."
        )
    st.dataframe(
        summary,
        hide_index=True,
        column_config={
            "mean_auc": AUC_COLUMN,
            "ci_low": AUC_COLUMN,
            "ci_high": AUC_COLUMN,
            "paper_auc": AUC_COLUMN,
        },
        key="summary_table",
    )
    csv_download(summary, f"experiment_{experiment.id}_summary")
    return summary


def _cost_section(summary: pd.DataFrame, costs: pd.DataFrame, experiment_id: int) -> None:
    st.dataframe(costs, hide_index=True, key="cost_table")
    cost = st.radio(
        "Cost", list(COSTS), format_func=COSTS.__getitem__, horizontal=True, key="cost_measure"
    )
    data = summary[["run_id", "label", "mean_auc", "ci_low", "ci_high"]].merge(
        costs[["run_id", cost]], on="run_id"
    )
    data = data[data[cost].notna() & data["mean_auc"].notna()]
    if data.empty:
        st.caption(f"No run has both a headline AUC and {COSTS[cost].lower()} yet.")
        return
    chart = charts.accuracy_vs_cost(data, cost_column=cost, cost_title=COSTS[cost])
    chart_with_csv(chart, data, f"experiment_{experiment_id}_accuracy_vs_{cost}")


def _curves_section(curves: pd.DataFrame, runs: pd.DataFrame) -> None:
    # The curves and the results are read separately: while workers write, a run may have its
    # curve before its results reach this page.
    runs = runs[runs["run_id"].isin(curves["run_id"])].set_index("run_id")
    if runs.empty:
        st.caption("No run of this experiment stores validation curves (LSAT-EN and LSAT-TA do).")
        return
    run_id = select_id("Run", runs["label"].to_dict(), "run")
    name = COEFFICIENT_NAMES.get(runs.loc[run_id, "strategy"], "coefficient")
    data = analysis.coefficient_curves(curves[curves["run_id"] == run_id])
    chart = charts.coefficient_curves(data, coefficient_title=name)
    chart_with_csv(chart, data, f"run_{run_id}_{name}_curves")
    chosen = data[data["chosen"]]
    st.caption(
        f"{name} chosen per update period: "
        + ", ".join(f"t={r.train_period}: {r.coefficient:g}" for r in chosen.itertuples())
    )


st.header("Compare strategies")
chosen = choose_experiment()
if chosen is None:
    st.stop()
results = analysis.with_run_labels(service.experiment_results(chosen.id))
if results.empty:
    st.info("This experiment has no result yet; the Run monitor shows its progress.")
    st.stop()
st.subheader("Headline AUC")
if analysis.planned_updates(chosen.protocol, chosen.num_periods) is None:
    st.warning(
        f"Cannot summarise protocol {chosen.protocol!r} over {chosen.num_periods} periods; "
        f"known protocols: {', '.join(PROTOCOLS)}."
    )
    summary = pd.DataFrame(columns=list(analysis.SUMMARY_COLUMNS))
else:
    summary = _summary_section(results, chosen)
st.subheader("Accuracy against cost")
_cost_section(summary, analysis.update_costs(results), chosen.id)
st.subheader("Validation curves of the ensemble weight")
_curves_section(
    service.experiment_curves(chosen.id),
    results.drop_duplicates("run_id")[["run_id", "label", "strategy"]],
)
