"""Every trained model stores its learning curve, and its best point is the checkpoint kept
(issue 12 item 4; docs/method.md sections 2.3 and 5)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fake_family import FAKE, BytesFamily, fake_workbench
from sqlalchemy import select

from lsat_core.curve_points import CurveKind, CurvePoint, CurveSink
from lsat_core.engine.classic_family import optimizer_steps
from lsat_core.engine.families import FamilyTrainingResult
from lsat_core.engine.model_specs import FINE_TUNE, LORA, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.runner.assembly import open_workbench
from lsat_core.runner.in_process import run_experiment
from lsat_core.store.engine import make_engine, read_scope
from lsat_core.store.learning_curves import curves_frame
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact


class CrashingFamily(BytesFamily):
    """Reports a curve, and crashes half-way through its first training."""

    def __init__(self) -> None:
        self.attempts = 0

    def train(self, spec, train, val, init, progress, curve: CurveSink) -> FamilyTrainingResult:
        self.attempts += 1
        for step in (1, 2, 3):
            curve(CurvePoint(CurveKind.TRAIN_LOSS, step, 10 * step, 1.0 / step + self.attempts))
            curve(CurvePoint(CurveKind.VAL_AUC, step, 10 * step, 0.5 + 0.1 * step, step == 2))
            if self.attempts == 1 and step == 2:
                raise RuntimeError("worker lost")
        return FamilyTrainingResult(model=b"weights", best_val_auc=0.7, kept_step=2)


def test_a_crashed_training_retried_stores_one_curve_and_a_delivery_again_adds_none(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    family = CrashingFamily()

    def bench() -> Workbench:
        return fake_workbench(engine, family, SPEC, tmp_path / "models", "task-1")

    with pytest.raises(RuntimeError, match="worker lost"):
        bench().model(SPEC)
    bench().model(SPEC)  # the task delivered again: the claim is its own, it trains again
    assert bench().model(SPEC).trained_now is False  # and once more: loaded, not trained
    with read_scope(engine) as session:
        frame = curves_frame(session)
    assert family.attempts == 2
    loss = frame[frame["kind"] == "loss"]
    assert list(loss["step"]) == [1, 2, 3]
    assert list(loss["value"]) == pytest.approx([3.0, 2.5, 1 / 3 + 2])  # the second attempt's
    best = frame[frame["is_best"]]
    assert list(best["step"]) == [2] and frame["finished"].all()
    engine.dispose()


SPEC = ModelSpec(FAKE, "full", 1)


def _curve(engine, key: str) -> pd.DataFrame:
    with read_scope(engine) as session:
        return curves_frame(session, model_keys=[key])


def _assert_curve_matches(engine, trained, x_column: str) -> None:
    """Loss and validation points stored; the best point is the checkpoint the model kept.
    `x_column`: what the family's `val_history` counts (LoRA: steps; classic: samples)."""
    frame = _curve(engine, trained.key)
    metrics = trained.metrics
    loss, val = frame[frame["kind"] == "loss"], frame[frame["kind"] == "val_auc"]
    assert len(loss) > 0 and loss["value"].notna().all()
    trained_val = val[val["step"] > 0]
    history = metrics["val_history"]
    assert list(trained_val[x_column]) == [x for x, _ in history]
    assert list(trained_val["value"]) == pytest.approx([auc for _, auc in history])
    (best,) = frame[frame["is_best"]].itertuples()
    assert best.value == pytest.approx(metrics["best_val_auc"])
    if metrics["kept_previous"]:
        assert (best.step, best.value) == (0, pytest.approx(metrics["start_val_auc"]))
    elif x_column == "step":
        assert best.step == metrics["best_step"]
    else:
        assert best.samples_seen == metrics["best_samples_trained"]
    assert frame["finished"].all()


@pytest.mark.parametrize("family", [LORA, "mf"])
def test_a_trained_model_stores_its_curve_with_the_kept_checkpoint_best(
    settings, tiny_config, family
) -> None:
    strategy = "fine_tune" if family == LORA else "mf:fine_tune"
    config = tiny_config((strategy,), classic_whole_periods=False)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    bench = open_workbench(config, settings, engine)
    continued = bench.model(ModelSpec(family, FINE_TUNE, 2))
    first = bench.model(ModelSpec(family, FINE_TUNE, 1))
    x_column = "step" if family == LORA else "samples_seen"
    _assert_curve_matches(engine, first, x_column)
    _assert_curve_matches(engine, continued, x_column)
    start = _curve(engine, continued.key)
    assert start[start["kind"] == "val_auc"]["step"].iloc[0] == 0  # the model it started from
    engine.dispose()


def test_an_in_process_experiment_stores_a_curve_per_model_it_trained(
    settings, tiny_config
) -> None:
    engine, prepared = run_experiment(tiny_config(("fine_tune",)), settings, name="curves")
    with read_scope(engine) as session:
        frame = curves_frame(session, experiment_ids=[prepared.experiment_id])
        trained = set(session.scalars(select(Artifact.key)))
    engine.dispose()
    assert set(frame["model_key"]) == trained and len(trained) >= 2
    assert frame.groupby("model_key")["is_best"].sum().eq(1).all()


@pytest.mark.parametrize(
    ("samples", "steps"), [(0, 0), (4, 1), (8, 2), (10, 3), (14, 4), (20, 6), (22, 7)]
)
def test_a_classic_curve_counts_the_short_last_batch_of_each_epoch_as_a_step(
    samples, steps
) -> None:
    # 10 training samples in batches of 4: steps of 4, 4 and 2 samples an epoch.
    assert optimizer_steps(samples, train_size=10, batch_size=4) == steps
