"""The held-out-items protocol: a seeded share of items withheld as targets from every model's
training and validation data, tested like cold-warm (docs/method.md section 4)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.synthetic import planted_stream
from lsat_core.data.held_out_items import HeldOutStream, withhold_items
from lsat_core.data.stream import Stream
from lsat_core.data.stream_config import StreamConfig
from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.engine.model_specs import FULL, ModelSpec
from lsat_core.engine.presets import preset_config
from lsat_core.errors import ConfigError
from lsat_core.evaluation.protocols import (
    COLD_WARM,
    HELD_OUT_ITEMS,
    EvalStep,
    plan_steps,
    summary_eval_periods,
    training_stream,
)
from lsat_core.llm.configs import BackboneConfig, LoraTrainConfig
from lsat_core.runner import assembly
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.predictions import predictions_frame
from lsat_core.store.queries import list_runs, results_frame

PERIODS = 4


@pytest.fixture(scope="module")
def stream() -> Stream:
    planted = planted_stream(users=200, items=100, samples=8000, periods=PERIODS, seed=0)
    return Stream(
        samples=planted.samples,
        items=planted.items,
        config=StreamConfig(num_periods=PERIODS, period_size=len(planted.samples) // PERIODS),
        checksum="planted",
        source="planted-signal stream",
        noun="movie",
    )


def test_the_protocol_plans_the_cold_warm_step():
    assert plan_steps(HELD_OUT_ITEMS, 20) == plan_steps(COLD_WARM, 20)
    assert plan_steps(HELD_OUT_ITEMS, 20) == [EvalStep(15, (16, 17, 18, 19, 20))]
    assert summary_eval_periods(HELD_OUT_ITEMS, 20) == (16, 17, 18, 19, 20)
    # The quick preset keeps the single step instead of asking for t = 1, 2.
    assert (
        preset_config("quick", ("mf:full_retrain",), protocol=HELD_OUT_ITEMS).update_periods is None
    )


def test_withheld_items_leave_training_parts_not_test_sets(stream):
    view = withhold_items(stream, 0.2, seed=0)
    targets = stream.samples["item"].unique()
    assert len(view.withheld) == round(0.2 * len(targets)) == 20
    assert view.withheld <= set(targets)
    for t in range(1, PERIODS + 1):
        assert not view.train(t)["item"].isin(view.withheld).any()
        assert not view.val(t)["item"].isin(view.withheld).any()
        kept = ~stream.train(t)["item"].isin(view.withheld)
        pd.testing.assert_frame_equal(view.train(t), stream.train(t)[kept])
        pd.testing.assert_frame_equal(view.test(t), stream.test(t))
    assert view.test(PERIODS)["item"].isin(view.withheld).sum() > 200
    assert not view.train_range(1, 3)["item"].isin(view.withheld).any()
    assert view.warm_items(range(1, 3)).isdisjoint(view.withheld)


def test_the_draw_is_seeded_and_keyed(stream):
    first, again = withhold_items(stream, 0.2, 0), withhold_items(stream, 0.2, 0)
    assert first.withheld == again.withheld and first.key == again.key
    other_seed, other_share = withhold_items(stream, 0.2, 1), withhold_items(stream, 0.3, 0)
    assert other_seed.withheld != first.withheld
    assert len({stream.key, first.key, other_seed.key, other_share.key}) == 4


def test_only_the_held_out_protocol_withholds(stream):
    assert training_stream(COLD_WARM, stream, 0.2, 0) is stream
    assert isinstance(training_stream(HELD_OUT_ITEMS, stream, 0.2, 0), HeldOutStream)


@pytest.mark.parametrize("share", [0, 1, -0.1, 1.5, True, "0.2"])
def test_a_bad_share_names_the_field(share):
    with pytest.raises(ConfigError, match="held_out_share"):
        ExperimentConfig(strategies=("mf:full_retrain",), held_out_share=share)


def test_llm_and_classic_models_never_train_on_held_out_targets(
    stream, tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """Through the ordinary path (assembly, workbench, period loop): the held-out items are
    cold for every model, every withheld sample of the test periods is scored, and the models
    are keyed apart from the same models of the cold-warm protocol."""
    monkeypatch.setattr(assembly, "load_stream", lambda *args, **kwargs: stream)
    settings = Settings.for_data_dir(tmp_path / "data")
    strategies = ("mf:full_retrain", "popularity", "full_retrain")
    config = ExperimentConfig(
        strategies=strategies,
        stream=stream.config,
        protocol=HELD_OUT_ITEMS,
        long_term_period=2,
        classic=ClassicTrainConfig(max_epochs=3, embedding_size=8, evals_per_epoch=1),
        backbone=BackboneConfig(name_or_path=str(tiny_model_dir)),
        lora=LoraTrainConfig(eval_batch_size=32, epochs=1),
        budget=SampleBudget(train_per_period=32, val_per_period=16, test_per_period=400),
    )
    engine, prepared = run_experiment(config, settings, name="held-out")
    view = assembly.experiment_stream(config, settings)
    assert isinstance(view, HeldOutStream) and len(view.withheld) == 20
    bench = assembly.open_workbench(config, settings, engine, stream=view)

    for t in range(1, 4):
        for part in ("train", "val"):
            assert not bench.samples(t, part).frame["item"].isin(view.withheld).any()
    mf = bench.model(ModelSpec("mf", FULL, 3))
    assert (
        mf.metrics["train_samples"] == len(view.train_range(1, 3)) < len(stream.train_range(1, 3))
    )
    with session_scope(engine) as session:
        run_ids = [run.id for run in list_runs(session, prepared.experiment_id)]
        kept = predictions_frame(session, run_ids)
        results = results_frame(session, run_ids)
    held = kept["item"].isin(view.withheld)
    assert held.sum() > 50 and not kept.loc[held, "warm"].any()
    assert set(kept["eval_period"]) == {4} and set(kept["train_period"]) == {3}
    cold = results[(results["segment"] == "cold") & (results["role"] == "model")]
    assert (cold.set_index("strategy")["n"] >= held.sum() / len(strategies)).all()

    cold_warm = dataclasses.replace(config, protocol=COLD_WARM)
    plain_bench = assembly.open_workbench(cold_warm, settings, engine, stream=stream)
    for family in ("mf", "lora"):
        spec = ModelSpec(family, FULL, 3)
        assert bench.model_key(spec) != plain_bench.model_key(spec)


def test_a_worker_s_workbench_trains_on_the_same_view(
    stream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A worker opens its workbench from the stored config alone (`WorkerContext.workbench`):
    it loads the stream itself, and must withhold the same items as the in-process run."""
    monkeypatch.setattr(assembly, "load_stream", lambda *args, **kwargs: stream)
    settings = Settings.for_data_dir(tmp_path / "data")
    config = ExperimentConfig(
        strategies=("mf:full_retrain",),
        stream=stream.config,
        protocol=HELD_OUT_ITEMS,
        long_term_period=2,
    )
    stored = ExperimentConfig.from_dict(config.to_dict())
    bench = assembly.open_workbench(stored, settings, engine=None)  # type: ignore[arg-type]
    assert isinstance(bench.stream, HeldOutStream)
    assert bench.stream.key == assembly.experiment_stream(config, settings).key
    assert bench.stream.withheld == withhold_items(stream, 0.2, config.budget.seed).withheld
