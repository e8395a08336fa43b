"""Widgets the pages share: choices kept in the URL, charts with their data as CSV and themselves
as PNG/SVG, summary tables as LaTeX."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Literal

import altair as alt
import pandas as pd
import streamlit as st

NO_ID = -1
"""How a `None` option travels through the selectbox: a browser shows a None value as no choice
at all ("Choose an option"), not as its label. Row ids are positive."""


def select_id(
    label: str, options: Mapping[int | None, str], param: str, *, key: str | None = None
) -> int | None:
    """A selectbox over row ids whose choice is kept in the URL as `?<param>=<id>`.

    A link carries the choice to another browser; an id the URL names that is not among
    `options` falls back to the first option. A `None` option (e.g. "all runs") leaves the
    parameter out of the URL.
    """
    ids = [NO_ID if i is None else i for i in options]
    if not ids:
        return None
    key = key or f"select_{param}"
    if st.session_state.get(key, ...) not in ids:
        wanted = _int_param(param)
        st.session_state[key] = wanted if wanted in ids else ids[0]
    choice = st.selectbox(
        label,
        ids,
        format_func=lambda i: options[None if i == NO_ID else i],
        key=key,
    )
    if choice == NO_ID:
        st.query_params.pop(param, None)
        return None
    st.query_params[param] = str(choice)
    return choice


def _int_param(param: str) -> int | None:
    raw = st.query_params.get(param)
    return int(raw) if raw is not None and raw.isdigit() else None


def chart_with_csv(
    chart: alt.TopLevelMixin,
    data: pd.DataFrame,
    name: str,
    *,
    width: Literal["stretch", "content"] = "stretch",
) -> None:
    """Draw the chart and offer the very DataFrame it draws as `<name>.csv`, and the chart as
    `<name>.png` and `<name>.svg` (for a paper or a slide)."""
    st.altair_chart(chart, width=width)
    with st.container(horizontal=True):
        csv_download(data, name)
        for image in IMAGE_FORMATS:
            st.download_button(
                f"Download {image.upper()}",
                data=lambda image=image: chart_image(chart, image),
                file_name=f"{name}.{image}",
                mime=IMAGE_MIMES[image],
                on_click="ignore",
                key=f"{image}_{name}",
                icon=":material/image:",
            )


IMAGE_FORMATS = ("png", "svg")
IMAGE_MIMES = {"png": "image/png", "svg": "image/svg+xml"}
PNG_SCALE = 2.0
"""Pixels per chart unit in a PNG: sharp on a slide and in print."""


def chart_image(chart: alt.TopLevelMixin, image: str) -> bytes:
    """The chart rendered as PNG or SVG by Vega's own renderer (vl-convert, no browser)."""
    buffer = io.BytesIO()
    if image == "png":
        chart.save(buffer, format="png", scale_factor=PNG_SCALE)
        return buffer.getvalue()
    text = io.StringIO()
    chart.save(text, format="svg")
    return text.getvalue().encode()


def latex_table(table: pd.DataFrame, *, caption: str | None = None, digits: int = 4) -> str:
    """A summary table as a LaTeX tabular (booktabs rules), numbers to `digits` places; names
    and the caption are escaped (pandas escapes the cells, not the caption)."""
    return table.to_latex(
        float_format=f"%.{digits}f",
        caption=None if caption is None else caption.translate(LATEX_ESCAPES),
        na_rep="--",
        escape=True,
    )


LATEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)


def latex_download(
    table: pd.DataFrame, name: str, *, caption: str | None = None, digits: int = 4
) -> None:
    st.download_button(
        "Download LaTeX",
        data=lambda: latex_table(table, caption=caption, digits=digits),
        file_name=f"{name}.tex",
        mime="application/x-tex",
        on_click="ignore",
        key=f"tex_{name}",
        icon=":material/description:",
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""


def spreadsheet_safe_csv(data: pd.DataFrame) -> str:
    """The frame as CSV in which no text cell can run as a spreadsheet formula: names typed by
    users (experiments, runs, titles) start with a quote when they start like a formula.
    Numbers are left alone: a negative number is data, not a formula."""
    text_columns = data.select_dtypes(include=["object", "string"]).columns
    safe = data.copy()
    for column in text_columns:
        safe[column] = data[column].map(
            lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
        )
    return safe.to_csv(index=False)


def csv_download(data: pd.DataFrame, name: str) -> None:
    # The CSV is made when the button is clicked, not on every rerun of a live panel.
    st.download_button(
        "Download CSV",
        data=lambda: spreadsheet_safe_csv(data),
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"csv_{name}",
        icon=":material/download:",
    )


def format_seconds(seconds: float | None) -> str:
    """A duration for people: "45 s", "12 min 5 s", "3 h 20 min"; "?" when unknown."""
    if seconds is None or pd.isna(seconds):
        return "?"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"
