"""Pieces the sequential baselines share: the rated-history input and the per-item output."""

from __future__ import annotations

import torch
from torch import nn

EMBEDDING_INIT_STD = 0.01
"""Normal initialisation of id embeddings, as the TALLRec baselines initialise theirs."""


def id_table(rows: int, size: int) -> nn.Embedding:
    """An id embedding table initialised N(0, EMBEDDING_INIT_STD)."""
    table = nn.Embedding(rows, size)
    nn.init.normal_(table.weight, 0.0, EMBEDDING_INIT_STD)
    return table


def bias_table(rows: int) -> nn.Embedding:
    """A per-id scalar bias starting at zero."""
    table = nn.Embedding(rows, 1)
    nn.init.zeros_(table.weight)
    return table


class RatedHistory(nn.Module):
    """History items with their feedback: item embedding + liked/disliked embedding.

    The TALLRec "with_label" baselines concatenate the 0/1 feedback to a (H-1)-wide item
    embedding; adding a learned embedding per feedback value carries the same information at
    full width and lets every model keep one embedding size.
    """

    def __init__(self, item_rows: int, size: int, dropout: float) -> None:
        super().__init__()
        self.item_embedding = id_table(item_rows, size)
        self.feedback_embedding = id_table(2, size)
        self.dropout = nn.Dropout(dropout)

    def forward(self, hist_items: torch.Tensor, hist_liked: torch.Tensor) -> torch.Tensor:
        # [B, L] ids, [B, L] 0/1 -> [B, L, H]
        return self.dropout(self.item_embedding(hist_items) + self.feedback_embedding(hist_liked))


class TargetScorer(nn.Module):
    """logit = <representation, w_item> + b_item for the target item.

    This is the reference baselines' output layer `s_fc = Linear(H, item_num)` read for the
    target column only: one output vector and one bias per item, over the item vocabulary so
    that it grows with it.
    """

    def __init__(self, item_rows: int, size: int) -> None:
        super().__init__()
        self.embedding = id_table(item_rows, size)
        self.bias = bias_table(item_rows)

    def forward(self, representation: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        # [B, D], [B] -> [B]
        return (representation * self.embedding(item)).sum(-1) + self.bias(item).squeeze(-1)
