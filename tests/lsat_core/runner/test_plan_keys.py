"""The work plan's models are the workbench's: two specs are one planned model exactly when
`Workbench.model_key` gives them one key, for the LoRA and a classic family, whether the update
settings make roles share models or not. A plan that merged two keys would leave an update
waiting on a model no task trains."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from lsat_core.baselines.synthetic import planted_stream
from lsat_core.data.stream import Stream
from lsat_core.data.stream_config import StreamConfig
from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.engine.workbench import Workbench
from lsat_core.runner.assembly import build_families
from lsat_core.runner.work_plan import plan_work
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine

UPDATES = ("full_retrain", "fine_tune", "replay", "full_retrain_sampled")
STRATEGIES = (*UPDATES, "short_term", "proximal", "lsat_en", *(f"mf:{u}" for u in UPDATES))


@pytest.fixture(scope="module")
def stream() -> Stream:
    planted = planted_stream(users=60, items=40, samples=1600, periods=4, seed=0)
    return Stream(
        samples=planted.samples,
        items=planted.items,
        config=StreamConfig(num_periods=4, period_size=400),
        checksum="planted",
        source="planted-signal stream",
        noun="movie",
    )


@pytest.mark.parametrize(
    ("updates", "models"),
    [
        # t = 1: one model per family; t = 2, 3: LoRA full, fine_tune, replay, sampled, short,
        # proximal; MF full, fine_tune, replay, sampled.
        (UpdateSettings(), 2 + 2 * (6 + 4)),
        # Replay and proximal are fine-tuning, sampling is full retraining: LoRA full, fine_tune,
        # short; MF full, fine_tune.
        (UpdateSettings(replay_ratio=0, proximal_coefficient=0, sampled_budget=10**6), 2 + 2 * 5),
    ],
)
@pytest.mark.parametrize("whole_periods", [False, True])
def test_specs_are_one_planned_model_exactly_when_they_share_a_model_key(
    tmp_path: Path, stream: Stream, updates: UpdateSettings, models: int, whole_periods: bool
) -> None:
    config = ExperimentConfig(
        strategies=STRATEGIES,
        stream=stream.config,
        long_term_period=1,
        update_periods=(1, 2, 3),
        budget=SampleBudget(train_per_period=40, val_per_period=20, test_per_period=30),
        updates=updates,
        classic_whole_periods=whole_periods,
    )
    settings = Settings.for_data_dir(tmp_path)
    bench = Workbench(
        config=config,
        stream=stream,
        families=build_families(config, stream, settings),
        engine=make_engine(f"sqlite:///{tmp_path / 'store.db'}"),
        models_dir=tmp_path / "models",
    )
    plan = plan_work(
        config,
        {s: i for i, s in enumerate(STRATEGIES, start=1)},
        lambda part: len(bench.samples(*part)),
    )

    specs = list(plan.trained_by)
    for a, b in itertools.combinations(specs, 2):
        same_key = bench.model_key(a) == bench.model_key(b)
        assert same_key == (plan.model_of(a) == plan.model_of(b)), (a.label(), b.label())
    assert len(plan.models) == len({bench.model_key(s) for s in specs}) == models
    # Every role of t = 1 trains on train_1, validated on val_1: one model per family.
    assert sum(m.period == 1 for m in plan.models) == 2  # the LoRA's and MF's
