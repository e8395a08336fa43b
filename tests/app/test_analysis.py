from __future__ import annotations

import math

import pandas as pd
import pytest

from app import analysis
from app.widgets import format_seconds
from lsat_core.store.queries import RESULT_COLUMNS


def results(*rows: dict) -> pd.DataFrame:
    """A results frame as `results_frame` returns it, from rows giving only what differs."""
    defaults = dict.fromkeys(RESULT_COLUMNS) | {
        "run_name": "full_retrain",
        "strategy": "full_retrain",
        "backbone": "smollm2-135m",
        "protocol": "next-period",
        "seed": 0,
        "role": "model",
        "segment": "all",
        "n": 100,
        "positives": 50,
    }
    return pd.DataFrame([defaults | row for row in rows], columns=list(RESULT_COLUMNS))


def test_runs_sharing_a_name_are_told_apart_by_id() -> None:
    frame = results(
        {"run_id": 1, "run_name": "lsat_en"},
        {"run_id": 2, "run_name": "lsat_en"},
        {"run_id": 3, "run_name": "fine_tune"},
        {"run_id": 1, "run_name": "lsat_en"},
    )

    labels = analysis.with_run_labels(frame)["label"].tolist()

    assert labels == ["lsat_en #1", "lsat_en #2", "fine_tune", "lsat_en #1"]


def test_summary_interval_uses_the_unclipped_side_of_each_stored_interval() -> None:
    # AUC 0.99 on D_3 with a DeLong interval clipped at 1: the lower side holds z*se = 0.03.
    frame = analysis.with_run_labels(
        results(
            {
                "run_id": 1,
                "train_period": 2,
                "eval_period": 3,
                "auc": 0.99,
                "ci_low": 0.96,
                "ci_high": 1.0,
            },
            {
                "run_id": 1,
                "train_period": 3,
                "eval_period": 4,
                "auc": 0.91,
                "ci_low": 0.87,
                "ci_high": 0.95,
            },
            {
                "run_id": 1,
                "train_period": 1,
                "eval_period": 2,
                "auc": 0.5,
                "ci_low": 0.4,
                "ci_high": 0.6,
            },
        )
    )

    (row,) = analysis.protocol_summary(frame, "next-period", 4).itertuples()

    assert row.mean_auc == pytest.approx(0.95)  # D_2 lies outside the summary periods D_3..D_4
    assert row.ci_high - row.mean_auc == pytest.approx(math.hypot(0.03, 0.04) / 2)
    assert (row.cells, row.planned_cells) == (2, 2)


def test_costs_count_each_update_once_whatever_its_rows() -> None:
    update = {
        "run_id": 1,
        "train_period": 1,
        "eval_period": 2,
        "samples_trained": 900,
        "train_seconds": 4.0,
    }
    frame = analysis.with_run_labels(
        results(
            update,
            update | {"segment": "warm"},
            update | {"segment": "cold"},
            update | {"role": "long"},
            update
            | {"train_period": 2, "eval_period": 3, "samples_trained": 1800, "train_seconds": 6.0},
        )
    )

    (row,) = analysis.update_costs(frame).itertuples()

    assert (row.updates, row.samples_trained, row.train_seconds) == (2, 2700, 10.0)


def test_curves_are_spread_one_row_per_coefficient_with_the_chosen_one_marked() -> None:
    curve = [{"coefficient": c / 10, "auc": 0.6 + c / 100} for c in range(11)]
    curves = pd.DataFrame(
        {
            "run_id": [1, 1],
            "train_period": [1, 2],
            "coefficient": [1.0, 0.3],
            "coefficient_curve": [curve, curve],
        }
    )

    spread = analysis.coefficient_curves(curves)

    assert len(spread) == 22
    assert spread.loc[spread["chosen"], ["train_period", "coefficient"]].values.tolist() == [
        [1, 1.0],
        [2, 0.3],
    ]
    assert spread["auc"].iloc[3] == pytest.approx(0.63)
    assert spread["ci_low"].isna().all()


def test_segment_table_leaves_a_segment_never_recorded_empty() -> None:
    frame = analysis.with_run_labels(
        results(
            {"run_id": 1, "train_period": 1, "eval_period": 2, "auc": 0.7},
            {
                "run_id": 1,
                "train_period": 1,
                "eval_period": 2,
                "segment": "warm",
                "auc": 0.75,
                "n": 80,
            },
        )
    )

    (row,) = analysis.segment_table(frame).itertuples()

    assert (row.auc_all, row.auc_warm, row.n_warm) == (0.7, 0.75, 80)
    assert math.isnan(row.auc_cold)


def test_planned_updates_follow_the_protocol() -> None:
    assert analysis.planned_updates("next-period", 20) == 19
    assert analysis.planned_updates("fixed-target", 20) == 19
    assert analysis.planned_updates("cold-warm", 20) == 1
    assert analysis.planned_updates("next_period", 20) is None
    assert analysis.planned_updates("next-period", None) is None


def test_fixed_target_results_line_up_by_update_period() -> None:
    assert analysis.period_axis("fixed-target").column == "train_period"
    assert analysis.period_axis("next-period").column == "eval_period"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "?"), (float("nan"), "?"), (44.6, "45 s"), (725, "12 min 5 s"), (12_000, "3 h 20 min")],
)
def test_durations_read_as_people_say_them(seconds: float | None, text: str) -> None:
    assert format_seconds(seconds) == text
