"""Stream replay: step through D_1..D_T of a stored stream and watch it change.

Per period: its size, users, items, positive rate and share of cold target items (docs/method.md
section 1: an item is cold in D_t if it was no target in D_1..D_{t-1}), how these evolve up to the
chosen period, and the AUC of every finished next-period run on the periods tested so far.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from app import analysis, charts, service
from app.widgets import chart_with_csv, select_id
from lsat_core.evaluation.protocols import NEXT_PERIOD

# Module-level strings would be drawn on the page (Streamlit's "magic"): notes are comments here.
STEP_SECONDS = 1.5  # time between two periods while playing
PERIOD_KEY = "period"  # the slider's key, also its URL parameter (?period=7)
PLAYING_KEY = "replay_playing"
LAST_STEP_KEY = "replay_last_step"
# Stream statistics shown per period (columns of `lsat_core.data.stats.period_stats`).
STATISTICS = {
    "samples": "Samples",
    "users": "Users",
    "items": "Items",
    "positive_rate": "Positive rate",
    "cold_item_share": "Cold item share",
    "cold_sample_share": "Cold sample share",
}


def _toggle_play(num_periods: int) -> None:
    playing = not st.session_state.get(PLAYING_KEY, False)
    if playing and st.session_state.get(PERIOD_KEY, 1) >= num_periods:
        st.session_state[PERIOD_KEY] = 1  # replay from the start once the end was reached
    st.session_state[PLAYING_KEY] = playing
    st.session_state[LAST_STEP_KEY] = time.monotonic()


def _advance(num_periods: int) -> None:
    """One period forward per STEP_SECONDS; at D_T, stop and rerun the page to drop the timer."""
    # The panel also reruns with the page (any widget), so time, not reruns, paces the steps.
    if time.monotonic() - st.session_state.get(LAST_STEP_KEY, 0.0) < 0.9 * STEP_SECONDS:
        return
    st.session_state[LAST_STEP_KEY] = time.monotonic()
    st.session_state[PERIOD_KEY] = min(st.session_state.get(PERIOD_KEY, 1) + 1, num_periods)
    if st.session_state[PERIOD_KEY] >= num_periods:
        st.session_state[PLAYING_KEY] = False
        st.rerun(scope="app")


def _period_metrics(stats: pd.DataFrame, period: int) -> None:
    current = stats.set_index("period").loc[period]
    previous = stats.set_index("period").loc[period - 1] if period > 1 else None
    first, last = str(current["first_timestamp"])[:10], str(current["last_timestamp"])[:10]
    st.caption(
        f"D_{period}: {first} to {last}"
        f" · {int(current['train']):,} train / {int(current['val']):,} validation samples"
    )
    for column, (name, label) in zip(st.columns(len(STATISTICS)), STATISTICS.items(), strict=True):
        value = float(current[name])
        delta = None if previous is None else value - float(previous[name])
        is_share = name.endswith(("_rate", "_share"))
        column.metric(
            label,
            f"{value:.1%}" if is_share else f"{value:,.0f}",
            delta=None if delta is None else (f"{delta:+.1%}" if is_share else f"{delta:+,.0f}"),
            delta_color="off",
        )


def _stats_chart(stats: pd.DataFrame, period: int) -> None:
    long = stats.melt(id_vars="period", value_vars=list(STATISTICS), var_name="statistic")
    long["statistic"] = long["statistic"].map(STATISTICS)
    chart = charts.stream_stat_lines(long, current_period=period, num_periods=len(stats))
    chart_with_csv(chart, stats[stats["period"] <= period], "stream_stats", width="content")


def _auc_chart(results: pd.DataFrame, period: int, num_periods: int) -> None:
    rows = analysis.model_rows(results)
    rows = rows[rows["eval_period"] <= period]
    if rows.empty:
        st.caption("No finished next-period run on this stream has tested these periods yet.")
        return
    data = rows[["label", "strategy", "eval_period", "auc", "ci_low", "ci_high", "n"]]
    chart = charts.auc_lines(
        data, period_column="eval_period", period_title="Tested period", num_periods=num_periods
    )
    chart_with_csv(chart, data, "replay_auc")


st.header("Stream replay")
streams = service.streams()
if streams.empty:
    st.info("No stream in the store yet: a stream is stored when an experiment starts.")
    st.stop()
stream_id = select_id(
    "Stream",
    {
        s.id: f"{s.dataset} · {s.num_periods} periods · #{s.id} ({s.key[:8]})"
        for s in streams.itertuples()
    },
    "stream",
)
stats = service.stream_stats(stream_id)
num_periods = len(stats)
if num_periods == 0:
    st.warning(f"Stream #{stream_id} has no period statistics stored.")
    st.stop()
finished = service.finished_stream_results(stream_id)
results = analysis.with_run_labels(finished[finished["protocol"] == NEXT_PERIOD])
if st.session_state.get(PERIOD_KEY, 1) > num_periods:
    st.session_state[PERIOD_KEY] = num_periods
playing = st.session_state.get(PLAYING_KEY, False)
if num_periods > 1:
    st.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=_toggle_play,
        args=(num_periods,),
        key="replay_play",
    )


@st.fragment(run_every=STEP_SECONDS if playing else None)
def replay_panel() -> None:
    if st.session_state.get(PLAYING_KEY, False):
        _advance(num_periods)
    period = (
        st.slider("Period", 1, num_periods, key=PERIOD_KEY, bind="query-params")
        if num_periods > 1
        else 1
    )
    _period_metrics(stats, period)
    st.subheader("How the stream evolves")
    _stats_chart(stats, period)
    st.subheader("AUC of finished runs, periods tested so far")
    _auc_chart(results, period, num_periods)


replay_panel()
