"""Models keyed by what determines their weights, warm items that follow the model served, and
fine-tuning's validation cadence (issue 11 item 7; docs/method.md sections 1, 2.3 and 3)."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.families import FamilyTrainingResult
from lsat_core.engine.lora_family import LoraFamily
from lsat_core.engine.model_specs import (
    FINE_TUNE,
    FULL,
    LORA,
    PROXIMAL,
    REPLAY,
    SAMPLED,
    SHORT,
    ModelSpec,
)
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.engine.workbench import Workbench
from lsat_core.store.engine import make_engine
from lsat_core.store.migrate import upgrade

FAKE = "fake"
SMALL = SampleBudget(train_per_period=40, val_per_period=20, test_per_period=30)
"""Few samples a part, so that a part's targets are not every item of the stream."""


class RecordingFamily:
    """Trains nothing: a model is a string naming what it was trained on; `kept` specs report
    that fine-tuning made validation worse and keep the model they started from."""

    name = FAKE

    def __init__(self, kept: frozenset[ModelSpec] = frozenset()) -> None:
        self.kept = kept
        self.trained: list[ModelSpec] = []
        self.scored: list[str] = []

    def prepare(self) -> None:
        return None

    def key_config(self, spec: ModelSpec) -> dict[str, Any]:
        return {"settings": "fixed"}

    def training_set(self, spec: ModelSpec, given: SampleSet) -> SampleSet:
        return given

    def train(self, spec, train, val, init, progress, curve=None) -> FamilyTrainingResult:
        self.trained.append(spec)
        if spec in self.kept:
            return FamilyTrainingResult(init, 0.7, start_val_auc=0.7, kept_previous=True)
        return FamilyTrainingResult(f"{spec.label()} on {train.key}", 0.6)

    def save(self, model: str, directory: Path) -> str:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "model.txt").write_text(model)
        return hashlib.sha256(model.encode()).hexdigest()

    def load(self, directory: Path) -> str:
        return (directory / "model.txt").read_text()

    def score(self, model: str, samples: SampleSet, progress=None) -> np.ndarray:
        self.scored.append(model)
        return np.full(len(samples), 0.5)

    def score_many(self, models: list[str], samples: SampleSet, progress=None) -> np.ndarray:
        return np.stack([self.score(m, samples) for m in models])

    def device(self) -> str:
        return "cpu"


@pytest.fixture
def bench_of(tmp_path: Path, planted_case, make_config):
    """`bench_of(family_name, family, **config)`: a workbench over the planted stream with one
    family and a fresh SQLite store."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)

    def make(family: Any = None, **values) -> Workbench:
        config = make_config(("fine_tune",), **{"budget": SMALL, **values})
        family = family or LoraFamily(config, planted_case.stream, tmp_path / "cache")
        return Workbench(
            config=config,
            stream=planted_case.stream,
            families={family.name: family},
            engine=engine,
            models_dir=tmp_path / "models",
        )

    return make


def _items(bench: Workbench, *parts: tuple[int, str]) -> frozenset[str]:
    return frozenset().union(*(set(bench.samples(*p).frame["item"]) for p in parts))


# (a) fine-tuning's cadence


def test_fine_tuning_validates_every_6_steps_with_patience_5_as_the_reference(bench_of):
    family = bench_of().family(LORA)
    assert isinstance(family, LoraFamily)
    for role in (FINE_TUNE, REPLAY, PROXIMAL):
        continued = family.train_config(ModelSpec(LORA, role, 2))
        assert (continued.eval_every, continued.patience) == (6, 5)
    retrained = family.train_config(ModelSpec(LORA, FULL, 2))
    assert (retrained.eval_every, retrained.patience) == (23, 10)
    # The first model of a fine-tuning chain starts fresh: it trains as retraining does.
    assert family.train_config(ModelSpec(LORA, FINE_TUNE, 1)) == retrained


# (b) warm items follow the model served


def test_a_model_that_kept_its_parent_has_seen_only_what_the_parent_saw(bench_of):
    kept = ModelSpec(FAKE, FINE_TUNE, 2)
    bench = bench_of(RecordingFamily(kept=frozenset({kept})))
    first = _items(bench, (1, "train"))
    skipped = _items(bench, (2, "train"), (1, "val")) - first
    assert skipped, "the budget leaves items that only period 2's data has"

    assert bench.model(kept).model == bench.model(ModelSpec(FAKE, FINE_TUNE, 1)).model
    assert bench.seen_items([kept]) == first
    # The next period continues the kept model: train_2's targets stay unseen.
    after = ModelSpec(FAKE, FINE_TUNE, 3)
    assert bench.seen_items([after]) == first | _items(bench, (3, "train"), (2, "val"))


def test_a_model_that_kept_its_parent_is_scored_once_with_it(bench_of):
    chain = [ModelSpec(FAKE, FINE_TUNE, t) for t in (1, 2, 3)]
    family = RecordingFamily(kept=frozenset(chain[1:]))
    bench = bench_of(family)
    test = bench.samples(4, "test")
    first = bench.model(chain[0]).model
    for spec in reversed(chain):
        bench.scores(spec, test)
    assert family.scored == [first]
    assert bench.served_key(chain[2]) == bench.model_key(chain[0]) != bench.model_key(chain[2])
    # Scored together (LSAT-EN's pair), the kept weights still count once beside a trained model.
    retrained = ModelSpec(FAKE, FULL, 2)
    bench.scores_together([chain[2], retrained, chain[1]], test)
    assert family.scored == [first, bench.model(retrained).model]


def test_a_model_that_trained_has_seen_its_data_and_its_ancestors(bench_of):
    bench = bench_of(RecordingFamily())
    seen = bench.seen_items([ModelSpec(FAKE, FINE_TUNE, 2)])
    assert seen == _items(bench, (1, "train"), (2, "train"), (1, "val"))


# (c) the test budget does not retrain models


def test_the_key_ignores_the_test_budget_and_follows_the_training_samples(bench_of):
    spec = ModelSpec(LORA, FINE_TUNE, 3)
    key = bench_of().model_key(spec)
    assert bench_of(budget=dataclasses.replace(SMALL, test_per_period=48)).model_key(spec) == key
    assert bench_of(budget=dataclasses.replace(SMALL, train_per_period=48)).model_key(spec) != key
    assert bench_of(budget=dataclasses.replace(SMALL, val_per_period=24)).model_key(spec) != key
    assert bench_of(seed=1).model_key(spec) != key


# (d) one key for models trained alike


def test_the_models_of_t_1_are_one_model_trained_once(bench_of):
    family = RecordingFamily()
    bench = bench_of(family)
    specs = [ModelSpec(FAKE, role, 1) for role in (FULL, SHORT, FINE_TUNE)]
    assert len({bench.model_key(s) for s in specs}) == 1
    models = {bench.model(s).model for s in specs}
    assert len(models) == 1 and family.trained == [specs[0]]
    # From t = 2 they train on different data.
    assert bench.model_key(ModelSpec(FAKE, FULL, 2)) != bench.model_key(ModelSpec(FAKE, SHORT, 2))


def test_the_lora_models_of_t_1_share_one_key(bench_of):
    bench = bench_of()
    keys = {bench.model_key(ModelSpec(LORA, role, 1)) for role in (FULL, SHORT, FINE_TUNE)}
    assert len(keys) == 1


@pytest.mark.parametrize(
    ("settings", "role", "same_as"),
    [
        (UpdateSettings(replay_ratio=0), REPLAY, FINE_TUNE),
        (UpdateSettings(proximal_coefficient=0), PROXIMAL, FINE_TUNE),
        (UpdateSettings(sampled_budget=10**6), SAMPLED, FULL),
    ],
)
def test_a_degenerate_setting_shares_the_model_it_reduces_to(bench_of, settings, role, same_as):
    bench = bench_of(updates=settings)
    for t in (1, 3):
        assert bench.model_key(ModelSpec(LORA, role, t)) == bench.model_key(
            ModelSpec(LORA, same_as, t)
        )
    default = bench_of()
    assert default.model_key(ModelSpec(LORA, role, 3)) != default.model_key(
        ModelSpec(LORA, same_as, 3)
    )
