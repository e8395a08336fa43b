"""LSAT-TA's PEFT merges (lsat_core.llm.merging.peft_merge) on the tiny backbone: the known answers
of docs/method.md section 3, checked on the updates the merged adapter adds and on its scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lsat_core.errors import ConfigError
from lsat_core.llm.adapters import Adapter
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.merging import PEFT_MERGES, peft_merge, peft_merge_weights, task_arithmetic
from lsat_core.llm.scoring import score_prompts, score_prompts_with_adapters

GRID_POINTS = (0.0, 0.3, 0.5, 1.0)


def merge(backbone: Backbone, long: Adapter, short: Adapter, lam: float, kind: str, **options):
    values = {"density": 1.0, "majority_sign_method": "total", "svd_rank": None, "seed": 0}
    return peft_merge(backbone.host, long, short, lam, kind, **{**values, **options})


def deltas(adapter: Adapter) -> dict[str, torch.Tensor]:
    """scaling * B @ A per adapted module: the update the adapter adds to the base weight."""
    return {
        key[: -len("lora_A.weight")]: adapter.shape.scaling
        * adapter.weights[key.replace("lora_A", "lora_B")]
        @ adapter.weights[key]
        for key in adapter.weights
        if key.endswith("lora_A.weight")
    }


def assert_same_updates(merged: Adapter, expected: Adapter, atol: float = 1e-5) -> None:
    got, want = deltas(merged), deltas(expected)
    assert set(got) == set(want)
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=atol)


@pytest.fixture(scope="module")
def prompts(planted) -> list[str]:
    return planted["val"][0][:12]


@pytest.mark.filterwarnings("ignore:The density 1.0 is greater than or equal to 1")
@pytest.mark.parametrize("kind", PEFT_MERGES)
@pytest.mark.parametrize("lam", GRID_POINTS)
def test_a_merge_of_an_adapter_with_itself_is_that_adapter(
    tiny_backbone: Backbone, random_adapter, prompts, kind: str, lam: float
) -> None:
    """ties, dare_ties (density 1: nothing dropped, so no random draw) and svd, at every weight."""
    adapter = random_adapter(seed=21)
    merged = merge(tiny_backbone, adapter, adapter, lam, kind)

    assert_same_updates(merged, adapter)
    np.testing.assert_allclose(
        score_prompts(tiny_backbone, prompts, merged),
        score_prompts(tiny_backbone, prompts, adapter),
        rtol=0,
        atol=1e-5,
    )


@pytest.mark.filterwarnings("ignore:The density 1.0 is greater than or equal to 1")
@pytest.mark.parametrize("lam", GRID_POINTS)
def test_ties_of_adapters_that_agree_in_sign_is_lsat_ta_ab_reading(
    random_adapter, tiny_backbone: Backbone, lam: float
) -> None:
    """Where no entry's sign conflicts and nothing is trimmed, TIES' disjoint mean is the plain
    average: lam * A_long + (1 - lam) * A_short and likewise for B (the ab reading)."""
    long = random_adapter(seed=22)
    generator = torch.Generator().manual_seed(23)
    short = Adapter(
        shape=long.shape,
        weights={
            k: v * (0.2 + torch.rand(v.shape, generator=generator)) for k, v in long.weights.items()
        },
        provenance={"scaled": True},
    )
    merged = merge(tiny_backbone, long, short, lam, "ties")

    assert_same_updates(merged, task_arithmetic(long, short, lam, "ab"))


def test_svd_at_twice_the_rank_is_lsat_ta_product_reading(
    random_adapter, tiny_backbone: Backbone
) -> None:
    """lam dW_long + (1 - lam) dW_short has rank <= 2r: an SVD kept at 2r loses nothing."""
    long, short = random_adapter(seed=24), random_adapter(seed=25)
    merged = merge(tiny_backbone, long, short, 0.3, "svd", svd_rank=2 * long.shape.r)

    assert merged.shape.r == 2 * long.shape.r
    assert_same_updates(merged, task_arithmetic(long, short, 0.3, "product"), atol=1e-4)


def test_ties_trims_and_dare_draws_reproducibly_by_seed(
    random_adapter, tiny_backbone: Backbone
) -> None:
    long, short = random_adapter(seed=26), random_adapter(seed=27)
    trimmed = merge(tiny_backbone, long, short, 0.5, "ties", density=0.2)
    kept = np.mean([(v != 0).float().mean().item() for v in trimmed.weights.values()])
    assert 0.15 < kept < 0.45  # each adapter keeps its top 20%; their union survives

    first = merge(tiny_backbone, long, short, 0.5, "dare_ties", density=0.5, seed=1)
    again = merge(tiny_backbone, long, short, 0.5, "dare_ties", density=0.5, seed=1)
    other = merge(tiny_backbone, long, short, 0.5, "dare_ties", density=0.5, seed=2)
    assert first.content_hash() == again.content_hash() != other.content_hash()
    assert first.provenance["merge"] == "peft:dare_ties" and first.provenance["seed"] == 1


def test_the_grid_scores_in_one_mixed_pass_as_one_by_one(
    random_adapter, tiny_backbone: Backbone, prompts
) -> None:
    long, short = random_adapter(seed=28), random_adapter(seed=29)
    merged = [merge(tiny_backbone, long, short, lam, "ties", density=0.2) for lam in GRID_POINTS]

    together = score_prompts_with_adapters(tiny_backbone, prompts, merged)

    for row, adapter in zip(together, merged, strict=True):
        np.testing.assert_allclose(
            row, score_prompts(tiny_backbone, prompts, adapter), rtol=0, atol=1e-6
        )


def test_a_merge_leaves_no_adapter_behind(random_adapter, tiny_backbone: Backbone) -> None:
    long, short = random_adapter(seed=30), random_adapter(seed=31)
    merge(tiny_backbone, long, short, 0.5, "svd")
    assert "merged" not in tiny_backbone.host.peft_model.peft_config


def test_weights_follow_the_mixing_weight_and_refuse_bad_values() -> None:
    assert peft_merge_weights("svd", 0.3) == pytest.approx((0.3, 0.7))
    assert peft_merge_weights("ties", 0.5) == pytest.approx((1.0, 1.0))
    assert peft_merge_weights("dare_ties", 0.25) == pytest.approx((0.25, 2.25))
    with pytest.raises(ConfigError, match="lambda"):
        peft_merge_weights("ties", 1.5)
    with pytest.raises(ConfigError, match="unknown merge 'cat'"):
        peft_merge_weights("cat", 0.5)
