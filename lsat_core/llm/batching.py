"""Token batches: tokenized prompts padded into tensors, the next-token logits after them, and a
training step's samples cut into length-sorted micro-batches with the padding that saves."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from peft import PeftModel
from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class PaddedBatch:
    input_ids: torch.Tensor  # [B, L]
    attention_mask: torch.Tensor  # [B, L], 0 on padding
    position_ids: torch.Tensor  # [B, L], counting real tokens only

    @property
    def tokens(self) -> int:
        return int(self.attention_mask.sum())


def tokenize_prompts(tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str]) -> list[list[int]]:
    """Token ids of each prompt, special tokens included (a BOS for LLaMA-like tokenizers)."""
    if not prompts:
        return []
    return tokenizer(list(prompts))["input_ids"]


def left_padded(
    sequences: Sequence[Sequence[int]], pad_id: int, device: torch.device
) -> PaddedBatch:
    """Left padding puts every sequence's last token in the last column, where we read logits.

    Positions are counted from each sequence's first real token (as `generate` does), so models
    with absolute position embeddings see the same positions as without padding.
    """
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        if seq:
            ids[row, width - len(seq) :] = torch.as_tensor(seq, dtype=torch.long)
            mask[row, width - len(seq) :] = 1
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    return PaddedBatch(ids.to(device), mask.to(device), positions.to(device))


def right_padded(
    sequences: Sequence[Sequence[int]], pad_id: int, device: torch.device
) -> tuple[PaddedBatch, torch.Tensor]:
    """Right-padded batch and its language-model labels (-100 on padding: no loss there)."""
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    labels = ids.masked_fill(mask == 0, -100)
    positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
    return PaddedBatch(ids.to(device), mask.to(device), positions.to(device)), labels.to(device)


def last_logits(
    model: torch.nn.Module, batch: PaddedBatch, **forward_kwargs: object
) -> torch.Tensor:
    """Next-token logits after the last column of a left-padded batch: [B, V].

    Asks the model for the last position only (`logits_to_keep=1`) where it supports that, so no
    [B, L, V] tensor is ever built. `forward_kwargs` go to the model as they are (a prefix cache
    as `cache`, PEFT's per-row `adapter_names`).
    """
    if not {"cache", "past_key_values"} & set(forward_kwargs):
        forward_kwargs["use_cache"] = False
    output = model(
        input_ids=batch.input_ids,
        attention_mask=batch.attention_mask,
        position_ids=batch.position_ids,
        **last_position_only(model),
        **forward_kwargs,
    )
    return output.logits[:, -1, :]


def last_position_only(model: torch.nn.Module) -> dict[str, int]:
    """The forward argument that limits logits to the last position, where the model has one."""
    return {"logits_to_keep": 1} if _accepts_logits_to_keep(model) else {}


def _accepts_logits_to_keep(model: torch.nn.Module) -> bool:
    base = model.get_base_model() if isinstance(model, PeftModel) else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def micro_batches(
    indices: np.ndarray, lengths: Sequence[int] | None, micro: int
) -> list[np.ndarray]:
    """One step's samples cut into micro-batches, longest first when `lengths` are given, so each
    micro-batch pads to a near length (None: in the order given)."""
    if lengths is not None:
        indices = indices[np.argsort([-lengths[i] for i in indices], kind="stable")]
    return [indices[i : i + micro] for i in range(0, len(indices), micro)]


def padding_positions(groups: Sequence[np.ndarray], lengths: Sequence[int]) -> int:
    """Padding positions of `groups` padded each to its longest sequence."""
    return sum(len(g) * max(lengths[i] for i in g) - sum(lengths[i] for i in g) for g in groups)


@dataclass
class PaddingTally:
    """Training's padding (docs/method.md section 2.3, length-sorted micro-batches): the padding
    positions fed forward, and those that cutting each step's samples in the order drawn would
    have added."""

    fed: int = 0
    saved: int = 0

    def micro_batches(
        self, indices: np.ndarray, lengths: Sequence[int], micro: int
    ) -> list[np.ndarray]:
        """`micro_batches(indices, lengths, micro)`, its padding counted."""
        groups = micro_batches(indices, lengths, micro)
        fed = padding_positions(groups, lengths)
        self.fed += fed
        self.saved += padding_positions(micro_batches(indices, None, micro), lengths) - fed
        return groups
