"""The LoRA family's fine-tuning rule (keep the previous adapter when validation got worse), its
batched scoring, and a proximal grid that validates its starting adapter once for all its mu."""

from __future__ import annotations

import dataclasses
import random
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import torch
from tiny_llm import TINY_LORA

from lsat_core.curve_points import CurvePoint
from lsat_core.engine.lora_family import LoraFamily
from lsat_core.engine.model_specs import FINE_TUNE, LORA, PROXIMAL, ModelSpec
from lsat_core.engine.presets import preset_config
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.evaluation.coefficients import search_coefficient
from lsat_core.llm import training
from lsat_core.llm.adapters import Adapter, LoraShape
from lsat_core.llm.backbone import BackboneConfig
from lsat_core.llm.training import AdapterTrainingCost, TrainedAdapter, train_adapter

PREVIOUS = Adapter(LoraShape(), {"w.lora_A.weight": torch.zeros(8, 4)})
TRAINED = Adapter(LoraShape(), {"w.lora_A.weight": torch.ones(8, 4)})


class _StubStream:
    titles: ClassVar[dict[str, str]] = {"a": "A (1999)"}
    noun = "movie"


def _samples(key: str) -> SampleSet:
    frame = pd.DataFrame(
        {
            "hist_items": [["a"]] * 2,
            "hist_ratings": [[5.0]] * 2,
            "item": ["a", "a"],
            "label": [0, 1],
        }
    )
    return SampleSet(key=key, frame=frame)


@pytest.mark.parametrize(("start", "best", "kept"), [(0.70, 0.65, True), (0.70, 0.72, False)])
def test_fine_tuning_keeps_the_previous_adapter_when_validation_gets_worse(
    monkeypatch, tmp_path, start, best, kept
):
    def fake_train_adapter(*args, init_adapter=None, **kwargs):
        assert init_adapter is PREVIOUS
        cost = AdapterTrainingCost(16, 4000, 1, 2.0, "cpu", 0)
        scores = np.array([0.4, 0.6])
        return TrainedAdapter(
            TRAINED, best, scores, 1, start, (), False, cost, kwargs.get("config")
        )

    monkeypatch.setattr("lsat_core.engine.lora_family.train_adapter", fake_train_adapter)
    family = LoraFamily(preset_config("paper", ("fine_tune",)), _StubStream(), tmp_path)
    family.__dict__["backbone"] = object()  # train_adapter is faked: no model needs loading
    outcome = family.train(
        ModelSpec(LORA, FINE_TUNE, 2), _samples("t"), _samples("v"), PREVIOUS, lambda *a: None
    )
    assert outcome.kept_previous is kept
    assert outcome.model is (PREVIOUS if kept else TRAINED)
    assert outcome.best_val_auc == max(start, best)
    assert outcome.samples_trained == 16  # the cost of trying is still paid


def test_fine_tuning_uses_its_own_patience(tmp_path):
    config = preset_config("paper", ("fine_tune",))
    family = LoraFamily(config, _StubStream(), tmp_path)
    assert family.train_config(ModelSpec(LORA, FINE_TUNE, 2)).patience == 5
    assert family.train_config(ModelSpec(LORA, "full", 2)).patience == config.lora.patience == 10


def test_models_scored_together_score_as_each_alone(tmp_path, tiny_model_dir) -> None:
    config = dataclasses.replace(
        preset_config("paper", ("lsat_en",)),
        backbone=BackboneConfig(name_or_path=str(tiny_model_dir), device="cpu"),
    )
    family = LoraFamily(config, _StubStream(), tmp_path)
    family.backbone.host.slot(LoraShape())
    template = family.backbone.host.weights(LoraShape())
    generator = torch.Generator().manual_seed(0)
    weights = [
        {k: 0.3 * torch.randn(v.shape, generator=generator) for k, v in template.items()}
        for _ in range(2)
    ]
    long, short = (Adapter(LoraShape(), w) for w in weights)
    samples = _samples("val")
    together = family.score_many([long, short], samples)
    alone = [family.score(long, samples), family.score(short, samples)]
    torch.testing.assert_close(torch.from_numpy(together), torch.from_numpy(np.stack(alone)))
    assert abs(together[0] - together[1]).max() > 1e-4


class _PlantedStream:
    """Titles whose first word gives the label (as tests/support/tiny_llm.py plants it)."""

    titles: ClassVar[dict[str, str]] = {
        f"{first[0]}{i}": f"{first} {word} (19{60 + i})"
        for first in ("Sun", "Moon")
        for i, word in enumerate(("River", "Stone", "Night", "Fire", "Rain"))
    }
    noun = "movie"


def _planted(key: str, n: int, seed: int) -> SampleSet:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        first = rng.choice("SM")
        items = [f"{first}{i}" for i in range(5)]
        history = rng.sample(items, 3)
        rows.append((history, [rng.choice((2.0, 5.0)) for _ in history], rng.choice(items)))
    frame = pd.DataFrame(rows, columns=["hist_items", "hist_ratings", "item"])
    return SampleSet(key=key, frame=frame.assign(label=(frame["item"].str[0] == "S").astype(int)))


def test_a_proximal_grid_validates_its_starting_adapter_once_and_trains_as_without_reuse(
    monkeypatch, tmp_path, tiny_model_dir
):
    """Every mu trains from the same previous adapter on the same val_t, so its step-0 AUC is
    validated once and handed to the other candidates: one start scoring, not one per mu, and
    every candidate (adapter, best scores, history, learning curve with step 0) is the one its
    own start validation gives."""
    grid = (0.0, 1.0, 50.0)
    config = dataclasses.replace(
        preset_config("paper", ("proximal",)),
        backbone=BackboneConfig(name_or_path=str(tiny_model_dir), device="cpu"),
        lora=dataclasses.replace(TINY_LORA, learning_rate=1e-2),
        updates=UpdateSettings(proximal_grid=grid, fine_tune_eval_every=2),
    )
    family = LoraFamily(config, _PlantedStream(), tmp_path)
    family.backbone.host.slot(LoraShape())
    generator = torch.Generator().manual_seed(0)
    init = Adapter(
        LoraShape(),
        {
            k: 0.05 * torch.randn(v.shape, generator=generator)
            for k, v in family.backbone.host.weights(LoraShape()).items()
        },
    )
    spec, train, val = ModelSpec(LORA, PROXIMAL, 2), _planted("t", 48, 1), _planted("v", 24, 2)
    scorings = []
    score = training.score_with_model
    monkeypatch.setattr(
        training, "score_with_model", lambda *a, **k: scorings.append(1) or score(*a, **k)
    )

    def candidates_trained(run) -> dict[float, tuple[TrainedAdapter, list[CurvePoint]]]:
        """mu -> (candidate, its learning curve) of each training `run` does; `scorings` then
        counts its val scorings."""
        found = {}

        def train_recorded(*args, proximal_coefficient, curve, **kwargs):
            points: list[CurvePoint] = []
            trained = train_adapter(
                *args, proximal_coefficient=proximal_coefficient, curve=points.append, **kwargs
            )
            found[proximal_coefficient] = (trained, points)
            for point in points:
                curve(point)
            return trained

        scorings.clear()
        run(train_recorded)
        return found

    kept_curve: list[CurvePoint] = []
    chosen = []

    def in_the_family(train_function) -> None:
        monkeypatch.setattr("lsat_core.engine.lora_family.train_adapter", train_function)
        outcome = family.train(spec, train, val, init, lambda *a: None, kept_curve.append)
        chosen.append(outcome.extra["proximal_coefficient"])

    def each_alone(train_function) -> None:  # no start validation handed on
        for mu in grid:
            train_function(
                family.backbone,
                family.prompts(train),
                train.labels,
                family.prompts(val),
                val.labels,
                family.train_config(spec),
                init_adapter=init,
                proximal_coefficient=mu,
                curve=lambda point: None,
            )

    reused = candidates_trained(in_the_family)
    reused_scorings = len(scorings)
    alone = candidates_trained(each_alone)
    validations = sum(len(trained.history) for trained, _ in alone.values())
    assert (reused_scorings, len(scorings)) == (validations + 1, validations + len(grid))
    assert sorted(reused) == sorted(alone) == list(grid)
    for mu, (trained, points) in reused.items():
        other, other_points = alone[mu]
        assert trained.adapter.content_hash() == other.adapter.content_hash()
        np.testing.assert_array_equal(trained.best_val_scores, other.best_val_scores)
        assert (trained.start_val_auc, trained.history) == (other.start_val_auc, other.history)
        assert points == other_points and points[0].step == 0
    search = search_coefficient(val.labels, lambda mu: alone[mu][0].best_val_scores, grid)
    assert chosen == [search.best_coefficient]
    assert kept_curve == reused[chosen[0]][1]  # the kept candidate's curve, step 0 included
