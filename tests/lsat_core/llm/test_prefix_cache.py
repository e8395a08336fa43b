"""The prefix-cached scorer gives the plain scorer's P(Yes), and is used only where it can be."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import MistralConfig, MistralForCausalLM

import lsat_core.llm.scoring as scoring
from lsat_core.data.prompts import build_prompt
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.batching import tokenize_prompts
from lsat_core.llm.prefix_cache import MIN_PREFIX_TOKENS, common_prefix_length, compute_prefix
from lsat_core.llm.scoring import score_prompts

# Different lengths, different history lists, one prompt twice.
PROMPTS = [
    build_prompt(["Star Wind", "Rain Field", "Glass Storm"], ["Fire Night"], "Sun Stone", "movie"),
    build_prompt([], [], "Moon", "movie"),
    build_prompt(["A"], ["B", "C"], "Sun Stone (1990)", "movie"),
    build_prompt(["River Stone (1971)"], [], "Moon Rain (1999)", "movie"),
    build_prompt([], ["Night Fire", "Storm", "Field", "Wind", "Glass"], "Sun", "movie"),
    build_prompt([], [], "Moon", "movie"),
]
UNRELATED = ["Sun Stone", "Yes or no?", "### Response:\n", "Moon"]
"""Prompts that share no leading tokens: the plain path scores them."""


@pytest.mark.parametrize(
    ("sequences", "expected"),
    [
        ([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 9]], 2),
        ([[1, 2, 3], [1, 2, 3]], 2),  # identical: the last token stays the suffix's
        ([[7, 8, 9]], 2),
        ([[1, 2], [3, 4]], 0),
        ([[1], [1, 2]], 0),
        ([], 0),
    ],
)
def test_common_prefix_compares_token_ids_and_leaves_every_sequence_a_suffix(
    sequences: list[list[int]], expected: int
) -> None:
    assert common_prefix_length(sequences) == expected


@pytest.fixture
def prefix_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Lengths of the prefixes the scorer ran (empty: it took the plain path)."""
    runs: list[int] = []

    def spy(model, prefix, *args, **kwargs):
        runs.append(len(prefix))
        return compute_prefix(model, prefix, *args, **kwargs)

    monkeypatch.setattr(scoring, "compute_prefix", spy)
    return runs


@pytest.mark.parametrize("batch_size", [1, 2, 4, 64])
def test_prefix_cached_scores_equal_plain_scores(
    tiny_backbone: Backbone, random_adapter, prefix_runs: list[int], batch_size: int
) -> None:
    adapter = random_adapter(seed=11)
    for model in (None, adapter):
        plain = score_prompts(tiny_backbone, PROMPTS, model, batch_size=3, prefix_cache=False)
        cached = score_prompts(tiny_backbone, PROMPTS, model, batch_size=batch_size)
        np.testing.assert_allclose(cached, plain, rtol=0, atol=1e-5)
    shared = common_prefix_length(tokenize_prompts(tiny_backbone.tokenizer, PROMPTS))
    assert shared >= MIN_PREFIX_TOKENS
    assert prefix_runs == [shared, shared]  # once per scoring call, whatever the batch size


def test_a_single_prompt_is_scored_through_its_own_prefix(
    tiny_backbone: Backbone, prefix_runs: list[int]
) -> None:
    plain = score_prompts(tiny_backbone, PROMPTS[:1], prefix_cache=False)
    np.testing.assert_allclose(score_prompts(tiny_backbone, PROMPTS[:1]), plain, atol=1e-5)
    assert prefix_runs == [len(tokenize_prompts(tiny_backbone.tokenizer, PROMPTS[:1])[0]) - 1]


def test_prompts_sharing_no_prefix_take_the_plain_path(
    tiny_backbone: Backbone, prefix_runs: list[int]
) -> None:
    plain = score_prompts(tiny_backbone, UNRELATED, prefix_cache=False)
    np.testing.assert_allclose(score_prompts(tiny_backbone, UNRELATED), plain, atol=0)
    assert prefix_runs == []


def test_a_sliding_window_cache_is_not_reused(tiny_backbone: Backbone) -> None:
    """A sliding-window model keeps only the window's past, which is no prefix to repeat."""
    torch.manual_seed(0)
    config = MistralConfig(
        vocab_size=len(tiny_backbone.tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        sliding_window=8,
    )
    model = MistralForCausalLM(config).eval()
    with torch.inference_mode():
        assert compute_prefix(model, list(range(20)), torch.device("cpu")) is None
        assert compute_prefix(tiny_backbone.model, list(range(20)), torch.device("cpu"))
