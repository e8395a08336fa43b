"""Charts download as PNG and SVG beside their CSV; summary tables as LaTeX."""

from __future__ import annotations

import altair as alt
import pandas as pd

from app.widgets import chart_image, latex_table

CHART = (
    alt.Chart(pd.DataFrame({"period": [11, 12], "auc": [0.71, 0.74]}))
    .mark_line()
    .encode(x="period:O", y="auc:Q")
)


def test_a_chart_renders_as_png_and_svg() -> None:
    png = chart_image(CHART, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = chart_image(CHART, "svg").decode()
    assert svg.startswith("<svg") and "0.74" not in svg  # drawn, not a data dump
    assert "period" in svg  # the axis title


def test_a_summary_table_as_latex_with_escaped_names_and_caption() -> None:
    table = pd.DataFrame(
        {"lsat_en": [0.712345, None], "mf:full_retrain": [0.7, 0.69]},
        index=pd.Index([11, 12], name="eval_period"),
    )
    tex = latex_table(table, caption="Quick run #3 & 50% of D_t")
    assert r"\caption{Quick run \#3 \& 50\% of D\_t}" in tex
    assert r"lsat\_en & mf:full\_retrain" in tex
    assert r"11 & 0.7123 & 0.7000 \\" in tex
    assert r"12 & -- & 0.6900 \\" in tex
    assert r"\toprule" in tex and r"\bottomrule" in tex


def test_the_monitor_offers_png_svg_and_latex_beside_the_csv(run_page, app_env) -> None:
    app = run_page("monitor.py", experiment=app_env.next_experiment_id)
    name = f"experiment_{app_env.next_experiment_id}_auc"
    keys = [button.proto.id.rsplit("-", 1)[-1] for button in app.download_button]
    assert [k for k in keys if k.endswith(name) or k.endswith(f"{name}_table")] == [
        f"csv_{name}",
        f"png_{name}",
        f"svg_{name}",
        f"csv_{name}_table",
        f"tex_{name}_table",
    ]
