"""The floors (docs/method.md section 9) as dashed reference lines on every AUC-per-period chart
(monitor, replay, compare) and the uAUC beside the AUC in the cold/warm table."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from app import analysis, charts


def _layers(chart) -> list[dict]:
    return json.loads(chart.to_json())["layer"]


def _data(strategies: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": strategies,
            "strategy": strategies,
            "eval_period": [2] * len(strategies),
            "auc": 0.7,
            "ci_low": 0.68,
            "ci_high": 0.72,
            "n": 100,
        }
    )


def test_floor_rows_are_dashed_grey_lines_named_at_their_last_period() -> None:
    chart = charts.auc_lines(
        _data(["mf", "popularity", "logreg"]), period_column="eval_period", period_title="t"
    )
    layers = _layers(chart)
    runs = [layer for layer in layers if layer["mark"]["type"] in ("area", "line")]
    dashed = [layer for layer in runs if "strokeDash" in layer["mark"]]
    assert len(dashed) == 1 and dashed[0]["mark"]["color"] == charts.FLOOR_COLOR
    assert dashed[0]["transform"] == [{"filter": charts.IS_FLOOR}]
    assert all(layer["transform"][0]["filter"] == charts.IS_RUN for layer in runs[:2])
    (names,) = [layer for layer in layers if layer["mark"]["type"] == "text"]
    assert names["transform"][-1] == {"filter": "datum.eval_period == datum.last"}
    assert charts.IS_FLOOR == "indexof(['popularity', 'logreg'], datum.strategy) >= 0"


def test_a_chart_without_strategies_draws_every_row_as_a_run() -> None:
    data = _data(["mf"]).drop(columns="strategy")
    layers = _layers(charts.auc_lines(data, period_column="eval_period", period_title="t"))
    assert [layer["mark"]["type"] for layer in layers] == ["area", "line"]
    assert not any("transform" in layer for layer in layers)


def test_the_cold_warm_table_has_the_uauc_and_its_users_beside_each_auc() -> None:
    rows = pd.DataFrame(
        [
            {
                "run_id": 1,
                "label": "mf",
                "strategy": "mf",
                "train_period": 1,
                "eval_period": 2,
                "role": "model",
                "segment": segment,
                "auc": auc,
                "uauc": uauc,
                "uauc_users": users,
                "n": 100,
                "positives": 50,
            }
            for segment, auc, uauc, users in (("all", 0.7, 0.65, 40), ("warm", 0.72, 0.66, 35))
        ]
    )
    (row,) = analysis.segment_table(rows).itertuples()
    assert (row.auc_all, row.uauc_all, row.uauc_users_all) == (0.7, 0.65, 40)
    assert (row.uauc_warm, row.uauc_users_warm) == (0.66, 35)
    assert pd.isna(row.uauc_cold)
    columns = list(analysis.segment_table(rows).columns)
    assert columns.index("uauc_all") == columns.index("auc_all") + 1
    assert row.n_all == pytest.approx(100)


def test_the_auc_table_has_each_runs_uauc_beside_its_auc_where_recorded() -> None:
    rows = pd.DataFrame(
        [
            {
                "run_id": r,
                "label": label,
                "role": "model",
                "segment": "all",
                "eval_period": e,
                "auc": 0.7 + e / 100,
                "uauc": uauc,
            }
            for r, label, uauc in ((1, "mf", 0.61), (2, "old", None))
            for e in (2, 3)
        ]
    )
    table = analysis.auc_table(rows, analysis.period_axis("next-period"))
    assert list(table.columns) == ["mf", "mf uAUC", "old"]  # "old" kept no uAUC
    assert table.loc[3, "mf"] == pytest.approx(0.73) and table.loc[2, "mf uAUC"] == 0.61


def test_runs_of_one_name_are_told_apart_by_seed_where_their_seeds_differ() -> None:
    runs = pd.DataFrame(
        {
            "run_id": [1, 2, 3, 4, 5, 1],
            "run_name": ["mf", "mf", "mf", "gru", "gru", "mf"],
            "seed": [0, 1, 2, 0, 0, 0],
        }
    )
    labels = analysis.with_run_labels(runs)["label"].tolist()
    assert labels == [
        "mf · seed 0",
        "mf · seed 1",
        "mf · seed 2",
        "gru #4",
        "gru #5",
        "mf · seed 0",
    ]
