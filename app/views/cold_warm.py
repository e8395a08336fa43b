"""Cold and warm items: each strategy's AUC on items its model was trained on and on new ones.

Warm for a model = seen as a target in the data it was trained on (docs/method.md section 1).
In the fixed-target protocol every model is tested on D_T, and warm means seen as a target in the
first half of the stream (docs/method.md section 4, Figures 2 and 4); its view sets all items
against warm items per update period. The other protocols set warm against cold items per tested
period (Figure 3).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import analysis, charts, service
from app.experiment_picker import ChosenExperiment, choose_experiment
from app.widgets import chart_with_csv, csv_download
from lsat_core.evaluation.protocols import FIXED_TARGET

AUC_COLUMN = st.column_config.NumberColumn(format="%.4f")


def _segment_chart(results: pd.DataFrame, experiment: ChosenExperiment) -> None:
    fixed_target = experiment.protocol == FIXED_TARGET
    segments = ("all", "warm") if fixed_target else ("warm", "cold")
    axis = analysis.period_axis(experiment.protocol)
    rows = results[(results["role"] == analysis.MODEL_ROLE) & results["segment"].isin(segments)]
    data = rows[["label", "strategy", "segment", axis.column, "auc", "n", "positives"]]
    if fixed_target:
        st.caption(
            "Fixed target: the model of every update period t is tested on D_T, on all its "
            "items and on the items already seen in the first half of the stream."
        )
    chart = charts.segment_lines(
        data,
        period_column=axis.column,
        period_title=axis.title,
        num_periods=experiment.num_periods,
    )
    chart_with_csv(chart, data, f"experiment_{experiment.id}_{'_'.join(segments)}_auc")


def _segment_tables(results: pd.DataFrame, experiment_id: int) -> None:
    table = analysis.segment_table(results)
    means = analysis.segment_means(table)
    st.dataframe(
        means,
        hide_index=True,
        column_config={"mean_auc_warm": AUC_COLUMN, "mean_auc_cold": AUC_COLUMN},
        key="segment_means",
    )
    csv_download(means, f"experiment_{experiment_id}_warm_cold_means")
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            f"{value}_{s}": AUC_COLUMN for s in analysis.SEGMENTS for value in ("auc", "uauc")
        },
        key="segment_table",
    )
    csv_download(table, f"experiment_{experiment_id}_warm_cold")


st.header("Cold and warm items")
chosen = choose_experiment()
if chosen is None:
    st.stop()
results = analysis.with_run_labels(service.experiment_results(chosen.id))
if results.empty:
    st.info("This experiment has no result yet; the Run monitor shows its progress.")
    st.stop()
_segment_chart(results, chosen)
st.subheader("Warm and cold AUC per run and period, with the items counted")
_segment_tables(results, chosen.id)
