from __future__ import annotations

import numpy as np
import pytest
import torch
from peft import get_peft_model, set_peft_model_state_dict
from peft.tuners.lora import LoraLayer
from transformers import LlamaConfig, LlamaForCausalLM

from lsat_core.errors import ConfigError, InputError
from lsat_core.llm.adapters import Adapter, LoraShape
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.merging import task_arithmetic
from lsat_core.llm.scoring import score_prompts


@pytest.fixture(scope="module")
def long_short(random_adapter) -> tuple[Adapter, Adapter]:
    return random_adapter(seed=11), random_adapter(seed=12)


@pytest.fixture(scope="module")
def prompts(planted) -> list[str]:
    return planted["val"][0][:12]


@pytest.mark.parametrize("reading", ["ab", "product"])
def test_lambda_one_is_the_long_adapter_and_zero_the_short_one(
    tiny_backbone: Backbone, long_short, prompts, reading: str
) -> None:
    long, short = long_short
    for lam, alone in [(1.0, long), (0.0, short)]:
        merged = score_prompts(tiny_backbone, prompts, task_arithmetic(long, short, lam, reading))
        expected = score_prompts(tiny_backbone, prompts, alone)
        if reading == "ab":  # 1 * x + 0 * y == x exactly
            np.testing.assert_array_equal(merged, expected)
        else:  # rank 2r with a zero half: equal up to summation order
            np.testing.assert_allclose(merged, expected, rtol=0, atol=1e-6)
    halfway = score_prompts(tiny_backbone, prompts, task_arithmetic(long, short, 0.5, reading))
    assert np.abs(halfway - score_prompts(tiny_backbone, prompts, long)).max() > 1e-4


def test_ab_reading_averages_a_and_b_separately(long_short) -> None:
    long, short = long_short
    merged = task_arithmetic(long, short, 0.3, "ab")
    assert merged.shape == long.shape and merged.provenance["reading"] == "ab"
    for key, value in merged.weights.items():
        torch.testing.assert_close(value, 0.3 * long.weights[key] + 0.7 * short.weights[key])


def _deltas(adapter: Adapter) -> dict[str, torch.Tensor]:
    """scaling * B @ A per adapted module: the update the adapter adds to the base weight."""
    return {
        key[: -len("lora_A.weight")]: adapter.shape.scaling
        * adapter.weights[key.replace("lora_A", "lora_B")]
        @ adapter.weights[key]
        for key in adapter.weights
        if key.endswith("lora_A.weight")
    }


def test_product_reading_averages_the_updates_exactly_like_peft_cat(
    random_adapter, long_short
) -> None:
    long, short = random_adapter(seed=21), random_adapter(seed=22, shape=LoraShape(r=4, alpha=16))
    lam = 0.3
    merged = task_arithmetic(long, short, lam, "product")
    assert merged.shape.r == 12
    d_long, d_short, d_merged = _deltas(long), _deltas(short), _deltas(merged)
    for module, delta in d_merged.items():
        torch.testing.assert_close(delta, lam * d_long[module] + (1 - lam) * d_short[module])
    # The same update as PEFT's add_weighted_adapter(combination_type="cat").
    peft_deltas = _peft_cat_deltas(long, short, lam)
    for module, delta in d_merged.items():
        torch.testing.assert_close(delta, peft_deltas[module], rtol=1e-5, atol=1e-6)
    # ... and not the same as the ab reading, which has cross terms B_long A_short.
    same_rank = task_arithmetic(*long_short, lam, "product")
    ab = task_arithmetic(*long_short, lam, "ab")
    first = next(iter(_deltas(ab)))
    assert not torch.allclose(_deltas(ab)[first], _deltas(same_rank)[first])


def _peft_cat_deltas(long: Adapter, short: Adapter, lam: float) -> dict[str, torch.Tensor]:
    # Same module names as the tiny backbone, so the adapters' keys fit; weights are irrelevant.
    any_key = next(iter(long.weights))
    in_features = long.weights[any_key].shape[1]
    config = LlamaConfig(
        vocab_size=16, hidden_size=in_features, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2,
    )  # fmt: skip
    model = get_peft_model(LlamaForCausalLM(config), long.shape.lora_config(), adapter_name="long")
    model.add_adapter("short", short.shape.lora_config())
    set_peft_model_state_dict(model, dict(long.weights), adapter_name="long")
    set_peft_model_state_dict(model, dict(short.weights), adapter_name="short")
    model.add_weighted_adapter(["long", "short"], [lam, 1 - lam], "cat", combination_type="cat")
    deltas = {}
    for name, module in model.named_modules():
        if isinstance(module, LoraLayer) and "cat" in module.lora_A:
            deltas[f"{name}."] = module.get_delta_weight("cat")
    return deltas


def test_merging_rejects_bad_inputs(long_short, random_adapter) -> None:
    long, short = long_short
    with pytest.raises(ConfigError, match="lambda"):
        task_arithmetic(long, short, 1.5)
    with pytest.raises(ConfigError, match="reading"):
        task_arithmetic(long, short, 0.5, "svd")
    with pytest.raises(InputError, match="same r and alpha"):
        task_arithmetic(long, random_adapter(seed=1, shape=LoraShape(r=4)), 0.5, "ab")
