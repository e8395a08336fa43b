"""The LoRA family's fine-tuning rule: keep the previous adapter when validation got worse."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import torch

from lsat_core.engine.lora_family import LoraFamily
from lsat_core.engine.model_specs import FINE_TUNE, LORA, ModelSpec
from lsat_core.engine.presets import preset_config
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.llm.adapters import Adapter, LoraShape
from lsat_core.llm.backbone import BackboneConfig
from lsat_core.llm.training import AdapterTrainingCost, TrainedAdapter

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
