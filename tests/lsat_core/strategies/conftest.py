"""A planted-signal stream with cold items, and experiments over it through the period loop.

The stream (`lsat_core.baselines.synthetic`): users like exactly the items of their own taste
group, and item text features carry the group. In the last period, half of each group's items
that were met before come back under new ids, with the same features: cold items whose label a
content model (DeepMusic) can still read, while a collaborative one (MF) cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.synthetic import planted_stream
from lsat_core.baselines.text_features import ItemTextFeatures
from lsat_core.data.stream import Stream
from lsat_core.data.stream_config import StreamConfig
from lsat_core.engine.classic_family import ClassicFamily
from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.engine.families import ModelFamily
from lsat_core.engine.lora_family import LoraFamily
from lsat_core.engine.model_specs import LORA
from lsat_core.engine.workbench import Workbench
from lsat_core.llm.backbone import BackboneConfig
from lsat_core.llm.training import LoraTrainConfig
from lsat_core.runner.period_loop import PreparedExperiment, execute_experiment, prepare_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.queries import results_frame
from lsat_core.strategies.registry import STRATEGIES

PERIODS = 4
COLD_PREFIX = "new-"
FAST_CLASSIC = ClassicTrainConfig(
    max_epochs=20, patience_epochs=5, embedding_size=16, learning_rate=5e-3, evals_per_epoch=1
)
"""Smaller and faster than docs/method.md section 5's recipe, only to keep tests within seconds."""


@dataclass(frozen=True)
class PlantedCase:
    stream: Stream
    features: ItemTextFeatures
    cold_items: frozenset[str]


@pytest.fixture(scope="session")
def planted_case() -> PlantedCase:
    """Four periods of 2,000 samples (200 users, 100 items, two groups, no noise)."""
    planted = planted_stream(users=200, items=100, samples=8000, periods=PERIODS, seed=0)
    samples = planted.samples.copy()
    # Half of each group's items, alternately, so the cold items are balanced between groups and
    # a score that knows only the user ranks them at chance.
    chosen = set()
    for group in (0, 1):
        members = sorted(i for i, g in planted.item_groups.items() if g == group)
        chosen.update(members[::2])
    renamed = (samples["period"] == PERIODS) & samples["item"].isin(chosen)
    samples.loc[renamed, "item"] = COLD_PREFIX + samples.loc[renamed, "item"]
    ids = list(planted.features.item_ids)
    features = ItemTextFeatures(
        tuple(ids + [COLD_PREFIX + i for i in ids]),
        np.concatenate([planted.features.vectors, planted.features.vectors]),
        key="planted-with-cold-twins",
    )
    items = planted.items.copy()
    twins = items.assign(item=COLD_PREFIX + items["item"], title=items["title"] + " (new)")
    stream = Stream(
        samples=samples,
        items=pd.concat([items, twins], ignore_index=True),
        config=StreamConfig(num_periods=PERIODS, period_size=len(samples) // PERIODS),
        checksum="planted",
        source="planted-signal stream",
        noun="movie",
    )
    cold = frozenset(samples.loc[renamed, "item"])
    return PlantedCase(stream, features, cold)


@pytest.fixture
def make_config(planted_case: PlantedCase) -> Callable[..., ExperimentConfig]:
    """`make_config(strategies, **values)`: an experiment over the planted stream."""

    def make(strategies: tuple[str, ...], **values) -> ExperimentConfig:
        defaults = {
            "stream": planted_case.stream.config,
            "classic": FAST_CLASSIC,
            "long_term_period": 2,
            "budget": SampleBudget(),
        }
        return ExperimentConfig(strategies=strategies, **{**defaults, **values})

    return make


@dataclass(frozen=True)
class Outcome:
    engine: Engine
    prepared: PreparedExperiment
    bench: Workbench

    def results(self):
        with session_scope(self.engine) as session:
            return results_frame(session, list(self.prepared.run_ids.values()))


def planted_families(
    config: ExperimentConfig, case: PlantedCase, settings: Settings
) -> dict[str, ModelFamily]:
    """`assembly.build_families`, with the planted features in place of MiniLM's."""
    families: dict[str, ModelFamily] = {}
    for name in dict.fromkeys(STRATEGIES[s].family for s in config.strategies):
        if name == LORA:
            families[name] = LoraFamily(config, case.stream, settings.cache_dir)
        else:
            families[name] = ClassicFamily(
                name, config, case.stream, settings.cache_dir, text_features=case.features
            )
    return families


@pytest.fixture
def run_planted(
    tmp_path: Path,
    planted_case: PlantedCase,
    make_config: Callable[..., ExperimentConfig],
    tiny_model_dir: Path,
) -> Callable[..., Outcome]:
    """`run_planted(strategies, **config)`: one experiment over the planted stream, in a fresh
    store (pass `settings=` to reuse one)."""

    def run(strategies: tuple[str, ...], settings: Settings | None = None, **values) -> Outcome:
        settings = settings or Settings.for_data_dir(tmp_path / "data")
        llm = {
            "backbone": BackboneConfig(name_or_path=str(tiny_model_dir)),
            "lora": LoraTrainConfig(eval_batch_size=32),
        }
        config = make_config(strategies, **{**llm, **values})
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        bench = Workbench(
            config=config,
            stream=planted_case.stream,
            families=planted_families(config, planted_case, settings),
            engine=engine,
            models_dir=settings.artifacts_dir / "models",
        )
        prepared = prepare_experiment(engine, config, planted_case.stream, "planted")
        execute_experiment(engine, prepared, bench)
        return Outcome(engine, prepared, bench)

    return run
