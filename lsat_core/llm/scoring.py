"""P(Yes) for prompts (docs/method.md section 2): softmax over the logits of the two answer tokens.

The lean scorer of docs/method.md section 8: prompts are sorted by length and batched so padding is
minimal, padded on the left so the answer position is the last column, and the model computes
logits for that position only. The tokens all prompts share (the instruction header) run once,
through a KV cache (`prefix_cache`); several adapters can score the same prompts in one pass
(PEFT mixed-adapter batches). The reference instead takes a full-vocabulary softmax at every
position and then a softmax over the two *probabilities* (TianhaoShi2001/LSAT
`utils.preprocess_logits_for_metrics`); we take the softmax over the two logits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from lsat_core.llm.adapters import Adapter
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.batching import last_logits, left_padded, tokenize_prompts
from lsat_core.llm.prefix_cache import (
    MIN_PREFIX_TOKENS,
    PrefixCache,
    batch_cache,
    cache_argument,
    common_prefix_length,
    compute_prefix,
    suffix_batch,
)

ProgressCallback = Callable[[int, int], None]
"""progress(done, total): called after every batch."""


def score_prompts(
    backbone: Backbone,
    prompts: Sequence[str],
    adapter: Adapter | None = None,
    *,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
    prefix_cache: bool = True,
) -> np.ndarray:
    """P(Yes) for each prompt, in input order, with `adapter` (None: the untuned base model,
    the in-context baseline of docs/method.md section 5)."""
    with backbone.host.activated(adapter) as model:
        return score_with_model(
            model,
            backbone,
            prompts,
            batch_size=batch_size,
            progress=progress,
            prefix_cache=prefix_cache,
        )


def score_prompts_with_adapters(
    backbone: Backbone,
    prompts: Sequence[str],
    adapters: Sequence[Adapter | None],
    *,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
    prefix_cache: bool = True,
) -> np.ndarray:
    """P(Yes) [len(adapters), len(prompts)]: row a as `score_prompts` with `adapters[a]` would
    give it, all adapters run in the same forward passes (PEFT mixed-adapter batches), with the
    shared prefix computed once per adapter. `batch_size` counts rows (prompts x adapters)."""
    if not adapters:
        return np.empty((0, len(prompts)), dtype=np.float64)
    sequences = tokenize_prompts(backbone.tokenizer, prompts)
    with backbone.host.activated_many(adapters) as (model, names):
        return _score_rows(model, backbone, sequences, names, batch_size, progress, prefix_cache)


def score_with_model(
    model: torch.nn.Module,
    backbone: Backbone,
    prompts: Sequence[str],
    *,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
    prefix_cache: bool = True,
) -> np.ndarray:
    """P(Yes) for each prompt with `model` as it is configured (PEFT-wrapped or plain); used by
    training to validate the adapter it is training. Returns float64 numpy, input order.

    `prefix_cache`: run the prompts' shared leading tokens once (see `prefix_cache`); the scores
    equal the plain path's up to float rounding."""
    sequences = tokenize_prompts(backbone.tokenizer, prompts)
    return _score_rows(model, backbone, sequences, None, batch_size, progress, prefix_cache)[0]


def _score_rows(
    model: torch.nn.Module,
    backbone: Backbone,
    sequences: list[list[int]],
    adapter_names: Sequence[str] | None,
    batch_size: int,
    progress: ProgressCallback | None,
    use_prefix: bool,
) -> np.ndarray:
    """P(Yes) [A, n]: one row per PEFT adapter name (A = 1 with the model as configured).

    Each forward holds `batch_size` rows: prompts x adapters, adapter-major."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    names = list(adapter_names) if adapter_names is not None else None
    copies = len(names) if names is not None else 1
    per_batch = max(1, batch_size // copies)
    scores = np.empty((copies, len(sequences)), dtype=np.float64)
    # Longest first: a batch that does not fit in memory fails at once, not at the end.
    order = np.argsort([-len(s) for s in sequences], kind="stable")
    answer_ids = torch.tensor(
        [backbone.answers.yes_id, backbone.answers.no_id], device=backbone.device
    )
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            batches = _Batches(model, backbone, sequences, names, use_prefix)
            for start in range(0, len(order), per_batch):
                rows = order[start : start + per_batch]
                logits = batches.last_logits([sequences[i] for i in rows])  # [A * B, V]
                pair = logits.index_select(1, answer_ids).float().view(copies, len(rows), 2)
                scores[:, rows] = torch.softmax(pair, dim=2)[..., 0].cpu().numpy()
                if progress is not None:
                    progress(min(start + per_batch, len(order)), len(order))
    finally:
        model.train(was_training)
    return scores


class _Batches:
    """Next-token logits of batches of prompts, through the shared prefix's cache when the
    prompts share enough tokens and the model supports it, through full sequences otherwise."""

    def __init__(
        self,
        model: torch.nn.Module,
        backbone: Backbone,
        sequences: Sequence[Sequence[int]],
        names: list[str] | None,
        use_prefix: bool,
    ) -> None:
        self.model, self.backbone, self.names = model, backbone, names
        self.copies = len(names) if names is not None else 1
        self.prefix: PrefixCache | None = None
        length = common_prefix_length(sequences) if use_prefix else 0
        if length >= MIN_PREFIX_TOKENS:
            self.prefix = compute_prefix(
                model,
                sequences[0][:length],
                backbone.device,
                rows=self.copies,
                **self._adapters(1),
            )

    def _adapters(self, repeats: int) -> dict[str, list[str]]:
        if self.names is None:
            return {}
        return {"adapter_names": [name for name in self.names for _ in range(repeats)]}

    def last_logits(self, sequences: list[Sequence[int]]) -> torch.Tensor:
        rows = [seq for _ in range(self.copies) for seq in sequences]  # adapter-major
        device, pad_id = self.backbone.device, self.backbone.pad_id
        if self.prefix is None:
            batch = left_padded(rows, pad_id, device)
            return last_logits(self.model, batch, **self._adapters(len(sequences)))
        length = self.prefix.length
        batch = suffix_batch(length, [seq[length:] for seq in rows], pad_id, device)
        cache = {cache_argument(self.model): batch_cache(self.prefix, len(sequences))}
        return last_logits(self.model, batch, **cache, **self._adapters(len(sequences)))
