"""Learning curves in the store: written live while a model trains, read by the dashboard.

A curve is one row per model key (`TrainingCurve`), its points keyed by (curve, kind, step)
(`TrainingCurvePoint`). Training a key again (a task delivered twice, a claim taken over after
a crash) starts the curve afresh: `start_curve` deletes the points of the attempt before in the
transaction that restarts it, and every point is an upsert, so a point is stored once however
often it is written. The data-access functions leave the transaction to the caller;
`CurveRecorder` is the engine-owning writer the workbench hands a family's training loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from lsat_core.curve_points import CurveKind, CurvePoint
from lsat_core.errors import InputError
from lsat_core.store.engine import session_scope
from lsat_core.store.keyed import dialect_insert
from lsat_core.store.models import TrainingCurve, TrainingCurvePoint, utcnow

WRITE_INTERVAL_SECONDS = 2.0
"""Training-loss points are written at most this often (validations at once), so that a fast
loop does not become a stream of transactions; the monitor refreshes every 3 s."""

CURVE_COLUMNS = (
    "experiment_id",
    "model_key",
    "label",
    "family",
    "role",
    "period",
    "finished",
    "kind",
    "step",
    "samples_seen",
    "value",
    "is_best",
)


@dataclass(frozen=True)
class CurveModel:
    """What a curve is of: the model key and the spec it was trained for."""

    model_key: str
    label: str
    family: str
    role: str
    period: int
    experiment_id: int | None = None


def start_curve(session: Session, model: CurveModel) -> int:
    """The id of `model`'s curve, emptied: a new training attempt of the key begins."""
    statement = dialect_insert(session, TrainingCurve).values(
        model_key=model.model_key,
        experiment_id=model.experiment_id,
        label=model.label,
        family=model.family,
        role=model.role,
        period=model.period,
        best_step=None,
        finished=False,
        updated_at=utcnow(),
    )
    statement = statement.on_conflict_do_update(
        index_elements=["model_key"],
        set_={
            name: statement.excluded[name]
            # A key is shared by the roles that train the same thing (workbench.model_key): the
            # curve names the spec that trained it last.
            for name in (
                "experiment_id",
                "label",
                "family",
                "role",
                "period",
                "best_step",
                "finished",
                "updated_at",
            )
        },
    )
    session.execute(statement)
    curve_id = _curve_id(session, model.model_key)
    session.execute(delete(TrainingCurvePoint).where(TrainingCurvePoint.curve_id == curve_id))
    return curve_id


def add_points(session: Session, model_key: str, points: Sequence[CurvePoint]) -> None:
    """Store `points` on the key's curve (a point of a stored (kind, step) replaces it); the
    last validation marked best becomes the curve's best step."""
    if not points:
        return
    curve_id = _curve_id(session, model_key)
    rows = [
        {
            "curve_id": curve_id,
            "kind": point.kind,
            "step": point.step,
            "samples_seen": point.samples_seen,
            "value": point.value,
        }
        for point in points
    ]
    statement = dialect_insert(session, TrainingCurvePoint).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["curve_id", "kind", "step"],
            set_={
                "samples_seen": statement.excluded.samples_seen,
                "value": statement.excluded.value,
            },
        )
    )
    curve = session.get_one(TrainingCurve, curve_id)
    best = [p.step for p in points if p.kind == CurveKind.VAL_AUC and p.is_best]
    if best:
        curve.best_step = best[-1]
    curve.updated_at = utcnow()


def finish_curve(session: Session, model_key: str, best_step: int) -> None:
    """Mark the curve complete, its best step the checkpoint actually kept."""
    curve = session.get_one(TrainingCurve, _curve_id(session, model_key))
    curve.best_step, curve.finished, curve.updated_at = best_step, True, utcnow()


def _curve_id(session: Session, model_key: str) -> int:
    curve_id = session.scalar(select(TrainingCurve.id).where(TrainingCurve.model_key == model_key))
    if curve_id is None:
        raise InputError("no learning curve stored for this model", where=model_key)
    return curve_id


@dataclass(eq=False)
class CurveRecorder:
    """A `CurveSink` writing one model's points to the store as training goes.

    Validations are written when they arrive, training losses in batches at most every
    `interval` seconds; the caller flushes the rest and marks the curve finished (with
    `finish_curve`, in the transaction that marks the model ready)."""

    engine: Engine
    model: CurveModel
    interval: float = WRITE_INTERVAL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _pending: list[CurvePoint] = field(default_factory=list, init=False)
    _last_write: float = field(default=0.0, init=False)

    def start(self) -> None:
        with session_scope(self.engine) as session:
            start_curve(session, self.model)
        self._pending.clear()
        self._last_write = self.clock()

    def __call__(self, point: CurvePoint) -> None:
        self._pending.append(point)
        if point.kind == CurveKind.VAL_AUC or self.clock() - self._last_write >= self.interval:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            with session_scope(self.engine) as session:
                add_points(session, self.model.model_key, self._pending)
            self._pending.clear()
        self._last_write = self.clock()


def curves_frame(
    session: Session,
    *,
    experiment_ids: Iterable[int] | None = None,
    model_keys: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The points of the curves of the models the experiments trained (or of the given keys),
    one row per point (`CURVE_COLUMNS`), ordered by model, kind and step; `is_best` marks the
    validation at the curve's best step."""
    query = select(
        TrainingCurve.experiment_id,
        TrainingCurve.model_key,
        TrainingCurve.label,
        TrainingCurve.family,
        TrainingCurve.role,
        TrainingCurve.period,
        TrainingCurve.finished,
        TrainingCurvePoint.kind,
        TrainingCurvePoint.step,
        TrainingCurvePoint.samples_seen,
        TrainingCurvePoint.value,
        TrainingCurve.best_step,
    ).join(TrainingCurvePoint, TrainingCurvePoint.curve_id == TrainingCurve.id)
    if experiment_ids is not None:
        query = query.where(TrainingCurve.experiment_id.in_(list(experiment_ids)))
    if model_keys is not None:
        query = query.where(TrainingCurve.model_key.in_(list(model_keys)))
    query = query.order_by(
        TrainingCurve.period, TrainingCurve.label, TrainingCurvePoint.kind, TrainingCurvePoint.step
    )
    rows = session.execute(query).all()
    frame = pd.DataFrame(
        [(*row[:7], str(row.kind), *row[8:11], row.best_step) for row in rows],
        columns=[*CURVE_COLUMNS[:-1], "best_step"],
    )
    frame["is_best"] = (frame["kind"] == CurveKind.VAL_AUC) & (frame["step"] == frame["best_step"])
    return frame.drop(columns="best_step")
