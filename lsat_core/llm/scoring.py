"""P(Yes) for prompts (SPEC section 2): softmax over the logits of the two answer tokens.

The lean scorer of SPEC section 8: prompts are sorted by length and batched so padding is
minimal, padded on the left so the answer position is the last column, and the model computes
logits for that position only. The reference instead takes a full-vocabulary softmax at every
position and then a softmax over the two *probabilities* (TianhaoShi2001/LSAT
`utils.preprocess_logits_for_metrics`); we follow the SPEC: softmax over the two logits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from lsat_core.llm.adapters import Adapter
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.batching import last_logits, left_padded, tokenize_prompts

ProgressCallback = Callable[[int, int], None]
"""progress(done, total): called after every batch."""


def score_prompts(
    backbone: Backbone,
    prompts: Sequence[str],
    adapter: Adapter | None = None,
    *,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
) -> np.ndarray:
    """P(Yes) for each prompt, in input order, with `adapter` (None: the untuned base model,
    the in-context baseline of SPEC section 5)."""
    with backbone.host.activated(adapter) as model:
        return score_with_model(model, backbone, prompts, batch_size=batch_size, progress=progress)


def score_with_model(
    model: torch.nn.Module,
    backbone: Backbone,
    prompts: Sequence[str],
    *,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
) -> np.ndarray:
    """P(Yes) for each prompt with `model` as it is configured (PEFT-wrapped or plain); used by
    training to validate the adapter it is training. Returns float64 numpy, input order."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    sequences = tokenize_prompts(backbone.tokenizer, prompts)
    scores = np.empty(len(sequences), dtype=np.float64)
    # Longest first: a batch that does not fit in memory fails at once, not at the end.
    order = np.argsort([-len(s) for s in sequences], kind="stable")
    answer_ids = torch.tensor(
        [backbone.answers.yes_id, backbone.answers.no_id], device=backbone.device
    )
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                batch = left_padded([sequences[i] for i in rows], backbone.pad_id, backbone.device)
                pair = last_logits(model, batch).index_select(1, answer_ids).float()  # [B, 2]
                scores[rows] = torch.softmax(pair, dim=1)[:, 0].cpu().numpy()
                if progress is not None:
                    progress(min(start + batch_size, len(order)), len(order))
    finally:
        model.train(was_training)
    return scores
