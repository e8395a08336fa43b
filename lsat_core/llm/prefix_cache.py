"""Prefix KV caching for scoring (docs/method.md section 8): tokens every prompt shares run once.

Every TALLRec prompt opens with the same instruction header (about a third of its tokens). We
find the longest common prefix of the prompts' *token ids* (not text, so a BPE merge across the
header's end cannot make a prefix that tokenizes differently inside a prompt), run it once per
adapter with `use_cache=True`, and feed each batch only the suffixes, with the prefix's keys and
values repeated over the batch. A suffix batch is laid out ``[prefix (cached)] [left padding]
[suffix]``: the attention mask covers the prefix and the real suffix tokens, positions continue
from the prefix length, and every row's answer position is the last column, so logits are asked
for that column only.

Only models whose cache is a plain `DynamicCache` of full-attention layers qualify (sliding-window
or recurrent layers keep a state that cannot be repeated this way); the others, and prompt sets
sharing fewer than `MIN_PREFIX_TOKENS`, are scored by the plain path.

LoRA training with the whole-sequence loss reuses the same pieces with gradients kept
(`training_loss.MicroBatchLoss`): the cached keys and values are then part of the autograd graph.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from peft import PeftModel
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from lsat_core.llm.batching import PaddedBatch, last_position_only

MIN_PREFIX_TOKENS = 16
"""Below this, a separate prefix pass costs about what it saves."""


def common_prefix_length(sequences: Sequence[Sequence[int]]) -> int:
    """Tokens shared at the start of every sequence, leaving each at least one token of its own
    (the answer position must be computed, not read from the cache)."""
    if not sequences:
        return 0
    shortest = min(len(s) for s in sequences)
    first = sequences[0]
    length = max(shortest - 1, 0)
    for seq in sequences[1:]:
        pairs = zip(first[:length], seq[:length], strict=False)
        length = next((i for i, (a, b) in enumerate(pairs) if a != b), length)
        if length == 0:
            break
    return length


@dataclass(frozen=True)
class PrefixCache:
    """Keys and values of a shared prefix, one row per adapter (see `batch_cache`)."""

    length: int
    layers: tuple[tuple[torch.Tensor, torch.Tensor], ...]
    """Per layer (keys, values), each [A, heads, length, head_dim]."""


def compute_prefix(
    model: torch.nn.Module,
    prefix: Sequence[int],
    device: torch.device,
    rows: int = 1,
    **forward_kwargs: object,
) -> PrefixCache | None:
    """Run `prefix` once (in `rows` copies, e.g. one per adapter via `adapter_names`) and keep its
    cache; None where the model's cache is not a plain full-attention `DynamicCache`."""
    ids = torch.as_tensor([list(prefix)] * rows, dtype=torch.long, device=device)
    argument = cache_argument(model)
    output = model(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        use_cache=True,
        **last_position_only(model),
        **forward_kwargs,
    )
    layers = cache_layers(getattr(output, argument, None))
    return None if layers is None else PrefixCache(length=len(prefix), layers=layers)


def cache_layers(cache: object) -> tuple[tuple[torch.Tensor, torch.Tensor], ...] | None:
    """Per layer (keys, values) of a plain full-attention `DynamicCache`; None for any other."""
    if not isinstance(cache, DynamicCache):
        return None
    layers = []
    for layer in cache.layers:
        # Subclasses (sliding window) keep only part of the past: not a prefix to reuse.
        if type(layer) is not DynamicLayer or layer.keys is None or layer.values is None:
            return None
        layers.append((layer.keys, layer.values))
    return tuple(layers)


def cache_argument(model: torch.nn.Module) -> str:
    """The forward argument (and output field) that carries the KV cache: transformers 5.x renamed
    `past_key_values` to `cache` (the old name warns); older models only know the old one."""
    base = model.get_base_model() if isinstance(model, PeftModel) else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def batch_cache(prefix: PrefixCache, repeats: int) -> DynamicCache:
    """A fresh cache for a batch: each prefix row repeated `repeats` times (row-major, so rows
    ``[a * repeats, (a + 1) * repeats)`` see adapter row ``a``). Forward passes extend a cache in
    place by concatenation, which copies, so `prefix` itself is never altered; a single row is
    therefore only expanded (a view). Both keep autograd's graph: gradients from every row are
    summed into the prefix's keys and values."""
    return DynamicCache(
        ddp_cache_data=[
            (_repeat_rows(keys, repeats), _repeat_rows(values, repeats))
            for keys, values in prefix.layers
        ]
    )


def _repeat_rows(tensor: torch.Tensor, repeats: int) -> torch.Tensor:
    if tensor.shape[0] == 1:
        return tensor.expand(repeats, *tensor.shape[1:])
    return tensor.repeat_interleave(repeats, dim=0)


def suffix_batch(
    prefix_length: int, suffixes: Sequence[Sequence[int]], pad_id: int, device: torch.device
) -> PaddedBatch:
    """Suffixes left-padded into [B, W], with a mask over prefix + suffix ([B, P + W]) and
    positions that continue from the prefix (padding masked out, so its position is moot)."""
    width = max(len(s) for s in suffixes)
    ids = torch.full((len(suffixes), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(suffixes), width), dtype=torch.long)
    for row, seq in enumerate(suffixes):
        ids[row, width - len(seq) :] = torch.as_tensor(seq, dtype=torch.long)
        mask[row, width - len(seq) :] = 1
    positions = prefix_length + (mask.cumsum(dim=1) - 1).clamp(min=0)
    full_mask = torch.cat([torch.ones((len(suffixes), prefix_length), dtype=torch.long), mask], 1)
    return PaddedBatch(ids.to(device), full_mask.to(device), positions.to(device))
