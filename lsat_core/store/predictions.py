"""Per-sample predictions: every scoring of a test or validation set, kept for paired tests.

A scoring is stored once under its key (run, train period, eval period, part, role,
coefficient); recording it again, as a redelivered task does, writes nothing. Its samples are one
Parquet file in the row (`PredictionSet.frame`): the store is the one thing every worker and the
dashboard share (PostgreSQL on services, a SQLite file alone), it lands in the same transaction
as the period results, and a backup of the database holds it. Reading needs pandas and pyarrow,
never torch.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsat_core.errors import InputError
from lsat_core.store.keyed import dialect_insert
from lsat_core.store.models import PredictionSet, SamplePart, utcnow

PREDICTION_COLUMNS = ("sample_id", "user", "item", "label", "warm", "score")
"""One row per sample: its stream position, user, target item, label, whether the item was warm
for the scoring model, and the model's score (P(Yes) for the LLM strategies)."""
_SCHEMA = pa.schema(
    [
        ("sample_id", pa.int64()),
        ("user", pa.string()),
        ("item", pa.string()),
        ("label", pa.int8()),
        ("warm", pa.bool_()),
        ("score", pa.float64()),
    ]
)
SET_COLUMNS = ("run_id", "train_period", "eval_period", "part", "role", "coefficient")
"""Columns `predictions_frame` puts before PREDICTION_COLUMNS: which scoring a sample is from."""


def prediction_set_key(
    run_id: int,
    train_period: int,
    eval_period: int,
    part: SamplePart | str,
    role: str,
    coefficient: float | None,
) -> str:
    """The idempotency key of one scoring (NULL never equals NULL in a unique constraint, so the
    coefficient is spelled out; repr keeps every float distinct)."""
    spelled = "none" if coefficient is None else repr(float(coefficient))
    part = SamplePart(part)
    return f"run:{run_id}:train:{train_period}:{part}:{eval_period}:{role}:coefficient:{spelled}"


def record_predictions(
    session: Session,
    *,
    run_id: int,
    train_period: int,
    eval_period: int,
    frame: pd.DataFrame,
    part: SamplePart | str = SamplePart.TEST,
    role: str = "model",
    coefficient: float | None = None,
) -> bool:
    """Store one scoring's samples (PREDICTION_COLUMNS) unless its key is stored; True when
    written, False when it was already there (nothing is written then)."""
    key = prediction_set_key(run_id, train_period, eval_period, part, role, coefficient)
    table = _validated_table(frame, where=f"predictions {key}")
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    values = {
        "key": key,
        "run_id": run_id,
        "train_period": train_period,
        "eval_period": eval_period,
        "part": SamplePart(part),
        "role": role,
        "coefficient": coefficient,
        "samples": table.num_rows,
        "positives": int(frame["label"].sum()),
        "frame": buffer.getvalue(),
        "created_at": utcnow(),
    }
    statement = (
        dialect_insert(session, PredictionSet)
        .values(values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(PredictionSet.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def predictions_frame(
    session: Session,
    run_ids: Sequence[int],
    *,
    part: SamplePart | str = SamplePart.TEST,
    roles: Sequence[str] = ("model",),
) -> pd.DataFrame:
    """Every stored sample of these runs' scorings of `part` by `roles`: SET_COLUMNS then
    PREDICTION_COLUMNS, ordered by run, train period, eval period, role, coefficient, sample."""
    statement = (
        select(*(getattr(PredictionSet, name) for name in SET_COLUMNS), PredictionSet.frame)
        .where(
            PredictionSet.run_id.in_(list(run_ids)),
            PredictionSet.part == SamplePart(part),
            PredictionSet.role.in_(list(roles)),
        )
        .order_by(*(getattr(PredictionSet, name) for name in SET_COLUMNS))
    )
    pieces = []
    for row in session.execute(statement):
        samples = pq.read_table(io.BytesIO(row.frame)).to_pandas()
        scoring = {name: getattr(row, name) for name in SET_COLUMNS}
        pieces.append(samples.assign(**scoring)[[*SET_COLUMNS, *PREDICTION_COLUMNS]])
    if not pieces:
        return _empty_frame()
    frame = pd.concat(pieces, ignore_index=True)
    frame["part"] = frame["part"].map(str)
    return frame.astype({"coefficient": "float64"})


def _validated_table(frame: pd.DataFrame, where: str) -> pa.Table:
    missing = [name for name in PREDICTION_COLUMNS if name not in frame.columns]
    if missing:
        raise InputError(f"missing columns {missing}", where=where)
    if not np.isfinite(frame["score"].to_numpy(dtype=np.float64)).all():
        raise InputError("scores contain NaN or infinity", where=where)
    if not frame["label"].isin((0, 1)).all():
        raise InputError("labels must be 0 or 1", where=where)
    columns = frame.loc[:, list(PREDICTION_COLUMNS)].reset_index(drop=True)
    return pa.Table.from_pandas(columns, schema=_SCHEMA, preserve_index=False)


def _empty_frame() -> pd.DataFrame:
    dtypes = {
        "run_id": "int64",
        "train_period": "int64",
        "eval_period": "int64",
        "part": "str",
        "role": "str",
        "coefficient": "float64",
    }
    empty = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})
    samples = _SCHEMA.empty_table().to_pandas()
    return pd.concat([empty, samples], axis=1)
