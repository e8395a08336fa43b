from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from lsat_core.errors import InputError
from lsat_core.store import session_scope
from lsat_core.store.models import PredictionSet
from lsat_core.store.predictions import (
    PREDICTION_COLUMNS,
    SET_COLUMNS,
    prediction_set_key,
    predictions_frame,
    record_predictions,
)


def samples(n: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "sample_id": np.arange(100, 100 + n),
            "user": [f"u{i % 3}" for i in range(n)],
            "item": [f"i{i}" for i in range(n)],
            "label": rng.integers(0, 2, n),
            "warm": rng.integers(0, 2, n).astype(bool),
            "score": rng.random(n),
        }
    )


def test_predictions_round_trip_with_their_scoring(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    _, run_id = run_ids
    stored = samples()
    with session_scope(engine) as session:
        assert record_predictions(
            session, run_id=run_id, train_period=2, eval_period=3, frame=stored, coefficient=0.4
        )
    with session_scope(engine) as session:
        frame = predictions_frame(session, [run_id])
        row = session.scalars(select(PredictionSet)).one()
    assert tuple(frame.columns) == SET_COLUMNS + PREDICTION_COLUMNS
    assert frame[list(SET_COLUMNS)].drop_duplicates().to_dict("records") == [
        {
            "run_id": run_id,
            "train_period": 2,
            "eval_period": 3,
            "part": "test",
            "role": "model",
            "coefficient": 0.4,
        }
    ]
    back = frame[list(PREDICTION_COLUMNS)]
    pd.testing.assert_frame_equal(back, stored, check_dtype=False)
    assert back["score"].tolist() == stored["score"].tolist()  # exact, not rounded
    assert (row.samples, row.positives) == (6, int(stored["label"].sum()))


def test_a_second_recording_of_the_same_scoring_writes_nothing(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    _, run_id = run_ids
    key = {"run_id": run_id, "train_period": 1, "eval_period": 2}
    with session_scope(engine) as session:
        assert record_predictions(session, **key, frame=samples(seed=1))
    with session_scope(engine) as session:
        assert not record_predictions(session, **key, frame=samples(seed=2))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(PredictionSet)) == 1
        frame = predictions_frame(session, [run_id])
    assert frame["score"].tolist() == samples(seed=1)["score"].tolist()


def test_part_role_and_coefficient_are_separate_scorings(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    _, run_id = run_ids
    scorings = [
        {"part": "test", "role": "model", "coefficient": None},
        {"part": "test", "role": "long", "coefficient": None},
        {"part": "val", "role": "model", "coefficient": None},
        {"part": "val", "role": "model", "coefficient": 0.0},
        {"part": "val", "role": "model", "coefficient": 0.1},
    ]
    with session_scope(engine) as session:
        for scoring in scorings:
            assert record_predictions(
                session, run_id=run_id, train_period=1, eval_period=1, frame=samples(), **scoring
            )
    with session_scope(engine) as session:
        tests = predictions_frame(session, [run_id], roles=("model", "long"))
        vals = predictions_frame(session, [run_id], part="val")
        none = predictions_frame(session, [run_id + 1])
    assert sorted(tests["role"].unique()) == ["long", "model"]
    assert len(vals) == 18
    assert sorted(vals["coefficient"].dropna().unique()) == [0.0, 0.1]
    assert vals["coefficient"].isna().sum() == 6
    assert tuple(none.columns) == SET_COLUMNS + PREDICTION_COLUMNS and none.empty


def test_the_key_spells_every_part_of_a_scoring() -> None:
    assert prediction_set_key(1, 2, 3, "val", "model", None) != prediction_set_key(
        1, 2, 3, "val", "model", 0.0
    )
    assert prediction_set_key(1, 2, 3, "test", "long", 0.1) == (
        "run:1:train:2:test:3:long:coefficient:0.1"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="warm"), r"missing columns \['warm'\]"),
        (lambda f: f.assign(score=np.nan), "NaN"),
        (lambda f: f.assign(label=2), "0 or 1"),
    ],
)
def test_bad_predictions_are_refused_naming_the_scoring(
    engine: Engine, run_ids: tuple[int, int], change, message: str
) -> None:
    with pytest.raises(InputError, match=message) as raised, session_scope(engine) as session:
        record_predictions(
            session, run_id=run_ids[1], train_period=1, eval_period=2, frame=change(samples())
        )
    assert "run:" in str(raised.value)
