"""Altair charts of the dashboard; each takes exactly the DataFrame it draws (and offers as CSV).

Layers take their data once, on the layer: Altair would otherwise hash every layer's copy of it
to merge them. Period axes are whole numbers; where a page replays or fills in a stream, the axis
spans every period from the start so that the chart does not rescale as points arrive.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from lsat_core.strategies.floors import FLOORS

AUC_FORMAT = ".4f"
CI_OPACITY = 0.15
"""Bands are faint so that several runs' intervals stay readable where they overlap."""
FLOOR_DASH = [6, 4]
FLOOR_DASHES = [FLOOR_DASH, [2, 2], [8, 2, 2, 2]]
"""One dash pattern per floor where a legend tells the floors apart (`FLOORS`)."""
FLOOR_COLOR = "gray"
IS_FLOOR = f"indexof({list(FLOORS)!r}, datum.strategy) >= 0"
"""Vega expression: the row is a floor's (docs/method.md section 9), drawn as a dashed
reference line with its name instead of as one more coloured run."""
IS_RUN = f"!({IS_FLOOR})"
CURVE_PANEL_WIDTH = 360
"""Each of the two panels of a learning-curve chart: the pair fits the page's content width."""


def _period_x(column: str, title: str, num_periods: int | None) -> alt.X:
    scale = alt.Scale(domain=[1, num_periods]) if num_periods else alt.Undefined
    return alt.X(f"{column}:Q", title=title, scale=scale, axis=alt.Axis(tickMinStep=1, format="d"))


def auc_lines(
    data: pd.DataFrame,
    *,
    period_column: str,
    period_title: str,
    num_periods: int | None = None,
    color: str = "label",
    color_title: str = "Run",
) -> alt.LayerChart:
    """AUC per period, one line per `color` value, with its 95% interval as a band.

    Columns: `period_column`, `color`, auc, ci_low, ci_high, n; with a `strategy` column, the
    floors' rows are dashed grey reference lines named at their last period.
    """
    x = _period_x(period_column, period_title, num_periods)
    y = alt.Y("auc:Q", title="AUC", scale=alt.Scale(zero=False))
    tooltip = [
        alt.Tooltip(f"{color}:N", title=color_title),
        alt.Tooltip(f"{period_column}:Q", title="period"),
        alt.Tooltip("auc:Q", format=AUC_FORMAT),
        alt.Tooltip("ci_low:Q", format=AUC_FORMAT),
        alt.Tooltip("ci_high:Q", format=AUC_FORMAT),
        alt.Tooltip("n:Q", format=","),
    ]
    runs = alt.Chart().encode(
        x=x,
        # Opaque legend symbols: the legend would otherwise take the faint band's opacity.
        color=alt.Color(f"{color}:N", title=color_title, legend=alt.Legend(symbolOpacity=1)),
    )
    if "strategy" in data:
        runs = runs.transform_filter(IS_RUN)
    band = runs.mark_area(opacity=CI_OPACITY).encode(
        y=alt.Y("ci_low:Q", title="AUC", scale=alt.Scale(zero=False)), y2="ci_high:Q"
    )
    line = runs.mark_line(point=True).encode(y=y, tooltip=tooltip)
    if "strategy" not in data:
        return alt.layer(band, line, data=data)
    floors = alt.Chart().transform_filter(IS_FLOOR).encode(x=x, y=y, detail=f"{color}:N")
    floor_lines = floors.mark_line(strokeDash=FLOOR_DASH, color=FLOOR_COLOR).encode(tooltip=tooltip)
    floor_names = (
        floors.transform_joinaggregate(last=f"max({period_column})", groupby=[color])
        .transform_filter(f"datum.{period_column} == datum.last")
        .mark_text(align="left", dx=6, color=FLOOR_COLOR)
        .encode(text=f"{color}:N")
    )
    return alt.layer(band, line, floor_lines, floor_names, data=data)


def stream_stat_lines(
    data: pd.DataFrame, *, current_period: int, num_periods: int
) -> alt.FacetChart:
    """Small multiples of the stream's statistics up to `current_period`, one per statistic.

    Columns: period, statistic, value (long format).
    """
    shown = data[data["period"] <= current_period]
    line = (
        alt.Chart()
        .mark_line(point=True)
        .encode(
            x=_period_x("period", "Period", num_periods),
            # ~r: "10,000" and "0.55" alike (a constant series got "10,000.000000" ticks).
            y=alt.Y(
                "value:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.4~r")
            ),
            tooltip=["statistic:N", "period:Q", alt.Tooltip("value:Q", format=",.4~f")],
        )
    )
    now = alt.Chart().mark_rule(strokeDash=[4, 4]).encode(x=alt.datum(current_period))
    return (
        alt.layer(line, now, data=shown)
        .properties(width=220, height=140)
        .facet(facet=alt.Facet("statistic:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )


def accuracy_vs_cost(data: pd.DataFrame, *, cost_column: str, cost_title: str) -> alt.LayerChart:
    """Mean AUC (with interval) against a cost, one point per run, named by its colour in the
    legend and in its tooltip; the floors (by `strategy`) as grey horizontal rules, whatever
    their cost, one dash pattern each, named in a legend of their own.

    Names are not written beside the points: runs of one cost sit on one vertical (every
    untrained one at 0) and their names overlapped there (the quick preset's browser run).

    Columns: label, strategy, mean_auc, ci_low, ci_high, `cost_column`.
    """
    run = "label:N"
    base = (
        alt.Chart()
        .transform_filter(IS_RUN)
        .encode(
            # Padded, not rounded out: the runs that trained nothing sit clear of the axis.
            x=alt.X(
                f"{cost_column}:Q",
                title=cost_title,
                scale=alt.Scale(zero=False, nice=False, padding=16),
            ),
            color=alt.Color(run, title="Run", legend=alt.Legend(symbolOpacity=1)),
        )
    )
    bars = base.mark_errorbar().encode(y=alt.Y("ci_low:Q", title="Mean AUC"), y2="ci_high:Q")
    points = base.mark_point(filled=True, size=80, opacity=1).encode(
        y=alt.Y("mean_auc:Q", scale=alt.Scale(zero=False)),
        tooltip=[
            alt.Tooltip(run, title="run"),
            alt.Tooltip("mean_auc:Q", format=AUC_FORMAT),
            alt.Tooltip("ci_low:Q", format=AUC_FORMAT),
            alt.Tooltip("ci_high:Q", format=AUC_FORMAT),
            alt.Tooltip(f"{cost_column}:Q", format=",.4~f", title=cost_title),
        ],
    )
    floor_rules = (
        alt.Chart()
        .transform_filter(IS_FLOOR)
        .mark_rule(color=FLOOR_COLOR)
        .encode(
            y="mean_auc:Q",
            strokeDash=alt.StrokeDash(
                run,
                title="Floor",
                scale=alt.Scale(range=FLOOR_DASHES),
                legend=alt.Legend(symbolStrokeColor=FLOOR_COLOR, symbolType="stroke"),
            ),
            tooltip=[alt.Tooltip(run, title="floor"), alt.Tooltip("mean_auc:Q", format=AUC_FORMAT)],
        )
    )
    return alt.layer(bars, points, floor_rules, data=data)


def coefficient_curves(data: pd.DataFrame, *, coefficient_title: str) -> alt.LayerChart:
    """Validation AUC against the coefficient, one line per update period; the chosen value
    of each period is marked.

    Columns: train_period, coefficient, auc, chosen.
    """
    base = alt.Chart().encode(
        x=alt.X("coefficient:Q", title=coefficient_title, scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("auc:Q", title="Validation AUC", scale=alt.Scale(zero=False)),
        color=alt.Color("train_period:O", title="Update period", scale=alt.Scale(scheme="viridis")),
        tooltip=[
            alt.Tooltip("train_period:O", title="update period"),
            "coefficient:Q",
            alt.Tooltip("auc:Q", format=AUC_FORMAT),
        ],
    )
    chosen = base.transform_filter(alt.datum.chosen).mark_point(size=90, filled=True)
    return alt.layer(base.mark_line(), chosen, data=data)


def segment_lines(
    data: pd.DataFrame, *, period_column: str, period_title: str, num_periods: int | None
) -> alt.Chart:
    """AUC per period for several item segments: colour = run, dash = segment.

    Columns: label, segment, `period_column`, auc, n, positives.
    """
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=_period_x(period_column, period_title, num_periods),
            y=alt.Y("auc:Q", title="AUC", scale=alt.Scale(zero=False)),
            color=alt.Color("label:N", title="Run"),
            # Shapes as well as dashes: the legend draws dashes as dots that all look alike.
            strokeDash=alt.StrokeDash("segment:N", title="Items"),
            shape=alt.Shape("segment:N", title="Items"),
            tooltip=[
                "label:N",
                "segment:N",
                alt.Tooltip(f"{period_column}:Q", title="period"),
                alt.Tooltip("auc:Q", format=AUC_FORMAT),
                alt.Tooltip("n:Q", format=","),
                alt.Tooltip("positives:Q", format=","),
            ],
        )
    )


def learning_curves(
    data: pd.DataFrame, *, x: str, x_title: str, color_title: str
) -> alt.HConcatChart:
    """Training loss and validation AUC of trained models side by side, one line per `series`,
    the checkpoint each model kept as a filled diamond on its AUC line.

    Columns: `series`, `x`, kind (loss | val_auc), value, is_best
    (`lsat_core.store.learning_curves.curves_frame`, with a `series` column added).
    """
    x_encoding = alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format="~s", tickMinStep=1))
    # Below the two panels: beside them, a long model or experiment name would push the pair
    # past the page's width.
    color = alt.Color("series:N", title=color_title, legend=alt.Legend(orient="bottom"))
    tooltip = [
        alt.Tooltip("series:N", title=color_title),
        alt.Tooltip(f"{x}:Q", title=x_title, format=","),
        alt.Tooltip("value:Q", format=AUC_FORMAT),
    ]
    base = alt.Chart().encode(x=x_encoding, color=color, tooltip=tooltip)
    loss = (
        base.transform_filter(alt.datum.kind == "loss")
        .mark_line()
        .encode(y=alt.Y("value:Q", title="loss", scale=alt.Scale(zero=False)))
        .properties(title="Training loss", width=CURVE_PANEL_WIDTH)
    )
    validations = base.transform_filter(alt.datum.kind == "val_auc").encode(
        y=alt.Y(
            "value:Q",
            title="validation AUC",
            scale=alt.Scale(zero=False),
            axis=alt.Axis(format=".3f"),
        )
    )
    best = validations.transform_filter(alt.datum.is_best).mark_point(
        shape="diamond", size=160, filled=True, stroke="black", strokeWidth=1, opacity=1
    )
    auc = alt.layer(
        validations.mark_line(point=True), best, title="Validation AUC (diamond: checkpoint kept)"
    ).properties(width=CURVE_PANEL_WIDTH)
    return alt.hconcat(loss, auc, data=data)
