from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from lsat_core.errors import InputError
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.store import (
    RESULT_COLUMNS,
    PeriodResult,
    Segment,
    record_period_result,
    results_frame,
    session_scope,
)

CURVE = [{"coefficient": c / 10, "auc": 0.7 + c / 100} for c in range(11)]


def test_recording_a_cell_twice_updates_the_one_row(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    _, run_id = run_ids
    cell = {"run_id": run_id, "train_period": 10, "eval_period": 11}
    with session_scope(engine) as session:
        first = record_period_result(
            session, **cell, auc=0.70, n=100, positives=40, train_seconds=5.0
        )
        first_id, created_at = first.id, first.created_at
    with session_scope(engine) as session:
        again = record_period_result(
            session,
            **cell,
            auc=0.75,
            n=120,
            positives=50,
            ci_low=0.7,
            ci_high=0.8,
            coefficient=0.6,
            coefficient_curve=CURVE,
            samples_trained=9_000,
            tokens_trained=2_000_000_000_000,
            device="cuda:0",
        )
        assert again.id == first_id
    with session_scope(engine) as session:
        rows = session.scalars(select(PeriodResult)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.auc, row.n, row.positives, row.coefficient) == (0.75, 120, 50, 0.6)
        assert row.coefficient_curve == CURVE
        assert row.tokens_trained == 2_000_000_000_000
        # A repeat overwrites the whole row: a field it leaves out is no longer set.
        assert row.train_seconds is None
        assert row.created_at == created_at and row.updated_at > created_at


def test_other_cells_are_separate_rows(engine: Engine, run_ids: tuple[int, int]) -> None:
    _, run_id = run_ids
    with session_scope(engine) as session:
        for role, segment in [("model", "all"), ("model", "warm"), ("long", "all")]:
            for eval_period in (11, 20):
                record_period_result(
                    session,
                    run_id=run_id,
                    train_period=10,
                    eval_period=eval_period,
                    role=role,
                    segment=Segment(segment),
                    auc=0.7,
                    n=10,
                    positives=5,
                )
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(PeriodResult)) == 6


def test_an_auc_result_is_recorded_as_it_comes(engine: Engine, run_ids: tuple[int, int]) -> None:
    labels = np.array([0, 1, 0, 1, 1, 0, 1, 0])
    scores = np.array([0.1, 0.9, 0.3, 0.6, 0.4, 0.5, 0.8, 0.2])
    auc = auc_with_ci(labels, scores)
    one_class = auc_with_ci(np.ones(4, dtype=int), np.linspace(0, 1, 4))
    with session_scope(engine) as session:
        stored = record_period_result(
            session, run_id=run_ids[1], train_period=1, eval_period=2, **dataclasses.asdict(auc)
        )
        undefined = record_period_result(
            session,
            run_id=run_ids[1],
            train_period=1,
            eval_period=2,
            segment=Segment.COLD,
            **dataclasses.asdict(one_class),
        )
        assert (stored.auc, stored.n, stored.positives) == (auc.auc, 8, 4)
        assert (undefined.auc, undefined.ci_low, undefined.n) == (None, None, 4)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"positives": 11}, "positives=11 must lie in"),
        ({"auc": 1.2}, "auc=1.2 must lie in"),
        ({"ci_low": float("nan")}, "ci_low=nan must lie in"),
        ({"eval_period": 0}, "periods start at 1"),
        ({"uauc": 1.5}, "uauc=1.5 must lie in"),
        ({"uauc_users": 11}, "uauc_users=11 must lie in"),
    ],
)
def test_impossible_values_are_refused(
    engine: Engine, run_ids: tuple[int, int], change: dict[str, object], message: str
) -> None:
    values = {"run_id": run_ids[1], "train_period": 1, "eval_period": 2, "auc": 0.7, "n": 10}
    with pytest.raises(InputError, match=message), session_scope(engine) as session:
        record_period_result(session, **{**values, "positives": 5, **change})


def test_results_frame_joins_run_identity_in_period_order(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    _, run_id = run_ids
    with session_scope(engine) as session:
        for train_period in (3, 1, 2):
            record_period_result(
                session,
                run_id=run_id,
                train_period=train_period,
                eval_period=train_period + 1,
                auc=0.6 + train_period / 100,
                n=10,
                positives=5,
                samples_trained=train_period * 100 if train_period != 2 else None,
            )
    with session_scope(engine) as session:
        frame = results_frame(session, [run_id, 999])
        empty = results_frame(session, [])
    assert tuple(frame.columns) == RESULT_COLUMNS == tuple(empty.columns)
    assert frame["train_period"].tolist() == [1, 2, 3]
    assert frame["eval_period"].tolist() == [2, 3, 4]
    assert frame["auc"].tolist() == pytest.approx([0.61, 0.62, 0.63])
    assert set(frame["run_name"]) == {"Fine-tuning"} and set(frame["segment"]) == {"all"}
    assert frame["samples_trained"].isna().tolist() == [False, True, False]
    assert frame["samples_trained"].dropna().tolist() == [100, 300]
    assert str(frame["samples_trained"].dtype) == "Int64" and frame["ci_low"].isna().all()
    assert frame["ci_low"].dtype == "float64" and str(frame["updated_at"].dt.tz) == "UTC"
    assert len(empty) == 0
