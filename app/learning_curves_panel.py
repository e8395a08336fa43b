"""Learning curves on the dashboard: each trained model's training loss and validation AUC,
with the checkpoint it kept marked (docs/method.md sections 2.3 and 5).

The monitor draws a chart per kind of model (family and role) of the chosen experiment, one line
per model, re-read with the page's live refresh while models train; the compare page overlays one
kind of model's curves across the chosen experiments.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, service
from app.widgets import chart_with_csv

X_AXES = {"step": "Optimizer steps", "samples_seen": "Samples seen"}
# What a chart draws, and its CSV holds.
CSV_COLUMNS = ("series", "label", "model_key", "kind", "step", "samples_seen", "value", "is_best")
KEY_HASH_CHARS = 6
"""Of a model key's content hash, enough to tell two models of one legend apart."""


def _x_axis(key: str) -> str:
    chosen = st.segmented_control(
        "Curves against", list(X_AXES), format_func=X_AXES.get, default="step", key=key
    )
    return chosen or "step"


def _kind(family: str, role: str) -> str:
    return f"{family} {role.replace('_', '-')}"


def _series(points: pd.DataFrame, lead: pd.Series) -> pd.Series:
    """One legend entry per model's line: `lead` ("t=2", "#3 t=2"), followed by the model key's
    hash where several models share it (the seeds of one experiment train one model each)."""
    shared = points.groupby(lead)["model_key"].transform("nunique") > 1
    key_hash = points["model_key"].str.rsplit("-", n=1).str[-1].str[:KEY_HASH_CHARS]
    return lead.where(~shared, lead + " · " + key_hash)


def _model_state(points: pd.DataFrame, unfinished: str) -> str:
    """'t=2: training, step 12' or 't=2: kept step 8 (AUC 0.7125)'."""
    period = points["period"].iloc[0]
    if not points["finished"].iloc[0]:
        return f"t={period}: {unfinished}, step {points['step'].max()}"
    best = points[points["is_best"]]
    if best.empty:
        return f"t={period}: trained"
    kept = best.iloc[0]
    where = "the model it started from" if kept["step"] == 0 else f"step {kept['step']}"
    return f"t={period}: kept {where} (AUC {kept['value']:.4f})"


def monitor_section(experiment_id: int) -> None:
    """The curves of every model the experiment trained or is training, a chart per kind."""
    curves = service.learning_curves((experiment_id,))
    if curves.empty:
        st.caption(
            "No model of this experiment has reported a learning curve yet (models it reuses, "
            "trained by another experiment, show on that experiment's monitor)."
        )
        return
    # A curve left unfinished by an experiment that has ended belongs to a training that failed
    # or was cancelled.
    experiment = service.experiment(experiment_id)
    ended = experiment is not None and experiment["status"] in service.FINISHED
    unfinished = "stopped" if ended else "training"
    x = _x_axis("monitor_curves_x")
    for (family, role), points in curves.groupby(["family", "role"], sort=False):
        st.markdown(f"**{_kind(family, role)}**")
        models = [group for _, group in points.groupby("model_key", sort=False)]
        st.caption("; ".join(_model_state(model, unfinished) for model in models))
        lead = (
            "t="
            + points["period"].astype(str)
            + points["finished"].map({True: "", False: f" ({unfinished})"})
        )
        data = points.assign(series=_series(points, lead))[list(CSV_COLUMNS)]
        chart = charts.learning_curves(data, x=x, x_title=X_AXES[x], color_title="Model")
        chart_with_csv(chart, data, f"experiment_{experiment_id}_{family}_{role}_curves")


def compare_section(experiment_ids: list[int]) -> None:
    """One kind of model's curves (one period, or every period) across the experiments."""
    curves = service.learning_curves(tuple(experiment_ids))
    if curves.empty:
        st.caption("No model of these experiments stores a learning curve.")
        return
    kinds = dict.fromkeys(zip(curves["family"], curves["role"], strict=True))
    left, right, axis = st.columns(3)
    family, role = left.selectbox(
        "Model", list(kinds), format_func=lambda kind: _kind(*kind), key="compare_curves_kind"
    )
    chosen = curves[(curves["family"] == family) & (curves["role"] == role)]
    periods = sorted(chosen["period"].unique())
    period = right.selectbox(
        "Period",
        [None, *periods],
        format_func=lambda t: "every period" if t is None else f"t={t}",
        key="compare_curves_period",
    )
    with axis:
        x = _x_axis("compare_curves_x")
    if period is not None:
        chosen = chosen[chosen["period"] == period]
    # The legend names a line by experiment id and period, which lead the entry: a legend cuts
    # long entries short, and two of one experiment's long default name read alike there. The
    # names are listed below the chart.
    lead = "#" + chosen["experiment_id"].astype(str) + " t=" + chosen["period"].astype(str)
    data = chosen.assign(series=_series(chosen, lead))[list(CSV_COLUMNS)]
    chart = charts.learning_curves(data, x=x, x_title=X_AXES[x], color_title="Experiment, period")
    name = "experiments_" + "_".join(map(str, experiment_ids)) + f"_{family}_{role}_curves"
    chart_with_csv(chart, data, name)
    names = service.experiments().set_index("id")["name"]
    shown = sorted(chosen["experiment_id"].unique())
    st.caption("; ".join(f"#{i}: {names.get(i, 'no longer stored')}" for i in shown))
