"""Proximal fine-tuning in the training loop (docs/method.md section 3): mu / 2 ||theta -
theta_init||^2 added to every step's loss. mu = 0 is fine-tuning exactly; a large mu keeps the
adapter near the one it started from."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lsat_core.errors import ConfigError
from lsat_core.llm.adapters import Adapter
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.training import LoraTrainConfig, train_adapter

FAST = LoraTrainConfig(
    learning_rate=1e-2, micro_batch_size=16, accumulation_steps=2, epochs=1, eval_every=2
)


def _distance(a: Adapter, b: Adapter) -> float:
    return sum(float((a.weights[k] - b.weights[k]).pow(2).sum()) for k in a.weights) ** 0.5


def _tune(backbone: Backbone, planted, init: Adapter, **kwargs) -> Adapter:
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    # Validation after the last step only, so every run keeps its final adapter.
    config = dataclasses.replace(FAST, eval_every=1000)
    return train_adapter(
        backbone, train_p, train_y, val_p, val_y, config, init_adapter=init, **kwargs
    ).adapter


def test_a_zero_coefficient_is_fine_tuning_exactly(
    tiny_backbone: Backbone, planted, random_adapter
):
    init = random_adapter(0, scale=0.05)
    plain = _tune(tiny_backbone, planted, init)
    zero = _tune(tiny_backbone, planted, init, proximal_coefficient=0.0)
    assert plain.content_hash() == zero.content_hash()


def test_the_penalty_pulls_the_adapter_toward_the_one_it_started_from(
    tiny_backbone: Backbone, planted, random_adapter
):
    init = random_adapter(0, scale=0.05)
    plain = _tune(tiny_backbone, planted, init)
    pulled = _tune(tiny_backbone, planted, init, proximal_coefficient=50.0)
    assert _distance(pulled, init) < 0.5 * _distance(plain, init)
    assert pulled.provenance["proximal_coefficient"] == 50.0
    assert "proximal_coefficient" not in plain.provenance


def test_the_first_step_equals_fine_tunings_however_large_the_coefficient(
    tiny_backbone: Backbone, planted, random_adapter
):
    """At the start the adapter is its anchor, so the penalty's gradient mu (theta - anchor) is
    zero: a pull toward the previous adapter, not a decay toward zero (weight decay would move
    the first step)."""
    init = random_adapter(0, scale=0.05)
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    config = dataclasses.replace(FAST, max_steps=1, eval_every=1)
    plain = train_adapter(tiny_backbone, train_p, train_y, val_p, val_y, config, init_adapter=init)
    pulled = train_adapter(
        tiny_backbone,
        train_p,
        train_y,
        val_p,
        val_y,
        config,
        init_adapter=init,
        proximal_coefficient=1e6,
    )
    for key in plain.adapter.weights:
        assert torch.equal(plain.adapter.weights[key], pulled.adapter.weights[key])


def test_a_penalty_needs_an_adapter_to_pull_toward(tiny_backbone: Backbone, planted):
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    with pytest.raises(ConfigError, match="proximal_coefficient"):
        train_adapter(tiny_backbone, train_p, train_y, val_p, val_y, FAST, proximal_coefficient=1.0)
