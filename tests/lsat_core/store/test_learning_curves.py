"""Learning curves in the store: each point once, a retraining replaces the curve (SQLite and
PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, delete, func, select

from lsat_core.curve_points import CurveKind, CurvePoint
from lsat_core.store import claim_artifact, create_experiment, session_scope
from lsat_core.store.learning_curves import (
    CurveModel,
    CurveRecorder,
    add_points,
    curves_frame,
    finish_curve,
    start_curve,
)
from lsat_core.store.models import Artifact, TrainingCurvePoint

KEY = "lora-t2-abc"
LOSS, AUC = CurveKind.TRAIN_LOSS, CurveKind.VAL_AUC


def _model(engine: Engine, key: str = KEY) -> CurveModel:
    with session_scope(engine) as session:
        experiment = create_experiment(session, name="e", protocol="next_period", config={})
        claim_artifact(session, key, "owner", kind="lora", config={})
        return CurveModel(key, "lora:fine_tune@2", "lora", "fine_tune", 2, experiment.id)


def _point_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(TrainingCurvePoint))


def test_points_written_twice_are_stored_once(engine: Engine) -> None:
    model = _model(engine)
    points = [
        CurvePoint(AUC, 0, 0, 0.60),
        CurvePoint(LOSS, 1, 32, 0.9),
        CurvePoint(AUC, 1, 32, 0.64, is_best=True),
        CurvePoint(LOSS, 2, 64, 0.8),
        CurvePoint(AUC, 2, 64, 0.62),
    ]
    with session_scope(engine) as session:
        start_curve(session, model)
        add_points(session, KEY, points)
    with session_scope(engine) as session:  # a redelivered write of the same points
        add_points(session, KEY, points[1:])
        finish_curve(session, KEY, best_step=1)
    assert _point_count(engine) == len(points)
    with session_scope(engine) as session:
        frame = curves_frame(session, experiment_ids=[model.experiment_id])
    assert list(frame["kind"]) == ["loss", "loss", "val_auc", "val_auc", "val_auc"]
    best = frame[frame["is_best"]]
    assert list(zip(best["kind"], best["step"], best["value"], strict=True)) == [
        ("val_auc", 1, 0.64)
    ]
    assert frame["finished"].all() and set(frame["label"]) == {"lora:fine_tune@2"}


def test_a_retraining_replaces_the_points_of_the_attempt_before(engine: Engine) -> None:
    model = _model(engine)
    with session_scope(engine) as session:  # an attempt that crashed after three steps
        start_curve(session, model)
        add_points(session, KEY, [CurvePoint(LOSS, s, 32 * s, 1.0 / s) for s in (1, 2, 3)])
    with session_scope(engine) as session:
        start_curve(session, model)
        add_points(session, KEY, [CurvePoint(LOSS, 1, 32, 0.5), CurvePoint(AUC, 1, 32, 0.7, True)])
        finish_curve(session, KEY, best_step=1)
    with session_scope(engine) as session:
        frame = curves_frame(session, model_keys=[KEY])
    assert list(zip(frame["kind"], frame["step"], frame["value"], strict=True)) == [
        ("loss", 1, 0.5),
        ("val_auc", 1, 0.7),
    ]


def test_deleting_the_model_deletes_its_curve(engine: Engine) -> None:
    model = _model(engine)
    with session_scope(engine) as session:
        start_curve(session, model)
        add_points(session, KEY, [CurvePoint(LOSS, 1, 32, 0.5)])
    with session_scope(engine) as session:
        session.execute(delete(Artifact).where(Artifact.key == KEY))
    assert _point_count(engine) == 0


def test_the_recorder_writes_validations_at_once_and_losses_in_batches(engine: Engine) -> None:
    now = [0.0]
    recorder = CurveRecorder(engine, _model(engine), interval=2.0, clock=lambda: now[0])
    recorder.start()
    recorder(CurvePoint(LOSS, 1, 32, 0.9))
    assert _point_count(engine) == 0  # held back: the interval has not passed
    recorder(CurvePoint(AUC, 1, 32, 0.6, True))
    assert _point_count(engine) == 2
    recorder(CurvePoint(LOSS, 2, 64, 0.8))
    now[0] = 2.5
    recorder(CurvePoint(LOSS, 3, 96, 0.7))
    assert _point_count(engine) == 4
    recorder(CurvePoint(LOSS, 4, 128, 0.6))
    recorder.flush()
    assert _point_count(engine) == 5
