from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import LlamaForCausalLM

from lsat_core.data.prompts import build_prompt
from lsat_core.llm.adapters import LoraShape
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.scoring import score_prompts, score_prompts_with_adapters

PROMPTS = [
    build_prompt(["Yes Man (2008)"], ["No Way Out (1987)"], "No Country for Old Men", "movie"),
    build_prompt([], [], "Yes", "book"),
    build_prompt(["Star Wind", "Rain Field", "Glass Storm"], ["Fire Night"], "Nothing", "movie"),
    build_prompt(["Noah (2014)"], [], "Yesterday (1969)", "book"),
    build_prompt(["A"], ["B", "C"], "Sun Stone (1990)", "movie"),
]


@pytest.fixture(scope="module")
def untouched_model(tiny_model_dir: Path) -> LlamaForCausalLM:
    """A second copy of the tiny model that PEFT never wrapped: the base model's ground truth."""
    return LlamaForCausalLM.from_pretrained(tiny_model_dir).eval()


def _one_by_one(model: torch.nn.Module, backbone: Backbone) -> np.ndarray:
    """P(Yes) from one unpadded forward per prompt, read at the last prompt position."""
    answers = backbone.answers
    scores = []
    with torch.no_grad():
        for prompt in PROMPTS:
            ids = torch.tensor([backbone.tokenizer(prompt)["input_ids"]])
            pair = model(input_ids=ids).logits[0, -1][[answers.yes_id, answers.no_id]]
            scores.append(torch.softmax(pair, dim=0)[0].item())
    return np.array(scores)


def test_batched_scores_equal_single_prompt_scores_at_the_answer_position(
    tiny_backbone: Backbone, untouched_model: LlamaForCausalLM, random_adapter
) -> None:
    # Batches of 2 mix lengths: left padding, position ids and logits_to_keep are exercised.
    scores = score_prompts(tiny_backbone, PROMPTS, batch_size=2)
    np.testing.assert_allclose(scores, _one_by_one(untouched_model, tiny_backbone), atol=1e-6)
    assert scores.dtype == np.float64 and np.all((scores > 0) & (scores < 1))
    adapter = random_adapter(seed=5)
    tuned = score_prompts(tiny_backbone, PROMPTS, adapter, batch_size=2)
    with tiny_backbone.host.activated(adapter) as model:
        np.testing.assert_allclose(tuned, _one_by_one(model, tiny_backbone), atol=1e-6)
    assert np.abs(tuned - scores).max() > 1e-3  # the adapter does act


def test_scores_come_back_in_input_order(tiny_backbone: Backbone) -> None:
    scores = score_prompts(tiny_backbone, PROMPTS, batch_size=3)
    permutation = [3, 0, 4, 2, 1]
    permuted = score_prompts(tiny_backbone, [PROMPTS[i] for i in permutation], batch_size=3)
    np.testing.assert_allclose(permuted, scores[permutation], rtol=0, atol=1e-6)
    assert len(set(np.round(scores, 9))) == len(PROMPTS)  # distinct, so order is observable


def test_base_model_scores_do_not_change_once_adapters_were_used(
    tiny_backbone: Backbone, untouched_model: LlamaForCausalLM, random_adapter
) -> None:
    score_prompts(tiny_backbone, PROMPTS, random_adapter(seed=6))  # leaves its slot active
    base = score_prompts(tiny_backbone, PROMPTS)
    np.testing.assert_allclose(base, _one_by_one(untouched_model, tiny_backbone), atol=1e-6)


def test_an_adapter_changes_the_scores_and_two_adapters_score_differently(
    tiny_backbone: Backbone, random_adapter
) -> None:
    base = score_prompts(tiny_backbone, PROMPTS)
    first = score_prompts(tiny_backbone, PROMPTS, random_adapter(seed=7))
    second = score_prompts(tiny_backbone, PROMPTS, random_adapter(seed=8))
    assert np.abs(first - base).max() > 1e-3
    assert np.abs(second - first).max() > 1e-3


def test_progress_reports_every_batch(tiny_backbone: Backbone) -> None:
    calls: list[tuple[int, int]] = []
    score_prompts(tiny_backbone, PROMPTS, batch_size=2, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


@pytest.mark.parametrize("prefix_cache", [True, False])
@pytest.mark.parametrize("batch_size", [1, 64])
def test_adapters_scored_together_score_as_each_alone(
    tiny_backbone: Backbone, random_adapter, prefix_cache: bool, batch_size: int
) -> None:
    # Two adapters of one shape (two slots), one of another shape, and the untuned model.
    adapters = [
        random_adapter(seed=21),
        random_adapter(seed=22),
        None,
        random_adapter(seed=23, shape=LoraShape(r=4)),
    ]
    together = score_prompts_with_adapters(
        tiny_backbone, PROMPTS, adapters, batch_size=batch_size, prefix_cache=prefix_cache
    )
    assert together.shape == (len(adapters), len(PROMPTS))
    for row, adapter in zip(together, adapters, strict=True):
        alone = score_prompts(tiny_backbone, PROMPTS, adapter, prefix_cache=False)
        np.testing.assert_allclose(row, alone, rtol=0, atol=1e-5)
    assert np.abs(together[0] - together[1]).max() > 1e-3
    base = score_prompts(tiny_backbone, PROMPTS)  # no slot is left switched on
    np.testing.assert_allclose(base, together[2], rtol=0, atol=1e-5)
