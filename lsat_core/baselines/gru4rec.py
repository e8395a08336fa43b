"""GRU4Rec: a GRU over the rated history, scored against the target item.

Hidasi, Karatzoglou, Baltrunas, Tikk. "Session-based Recommendations with Recurrent Neural
Networks", ICLR 2016. The history (item + liked/disliked feedback, as the TALLRec
`GRU_with_label` baseline feeds it) runs through a GRU; its last hidden state meets the target's
output vector: logit = <h_L, w_target> + b_target. Departures, all shared with the TALLRec
baseline: the fixed 10-item history of each sample replaces session-parallel mini-batches, and
a pointwise MSE on the label (docs/method.md section 5) replaces the ranking losses (BPR, TOP1);
one GRU layer as in the paper (the TALLRec script defaults to four).
"""

from __future__ import annotations

import torch
from torch import nn

from lsat_core.baselines.base import ClassicRecommender
from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.layers import RatedHistory, TargetScorer
from lsat_core.baselines.samples import SampleTensors
from lsat_core.baselines.training import BaselineNetwork


class GRU4RecNetwork(BaselineNetwork):
    row_tables = ("history.item_embedding.weight", "target.embedding.weight", "target.bias.weight")

    def __init__(self, item_rows: int, size: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.history = RatedHistory(item_rows, size, dropout)
        self.gru = nn.GRU(
            size, size, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
        )
        self.target = TargetScorer(item_rows, size)

    def forward(self, batch: SampleTensors) -> torch.Tensor:
        sequence = self.history(batch.hist_items, batch.hist_liked)  # [B, L, H]
        _, hidden = self.gru(sequence)  # [layers, B, H]
        return self.target(hidden[-1], batch.item)  # [B]


class GRU4Rec(ClassicRecommender):
    name = "gru4rec"

    def build_network(
        self, config: ClassicTrainConfig, user_rows: int, item_rows: int
    ) -> GRU4RecNetwork:
        return GRU4RecNetwork(item_rows, config.embedding_size, config.gru_layers, config.dropout)
