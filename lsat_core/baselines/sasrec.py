"""SASRec: causal self-attention over the rated history.

Kang, McAuley. "Self-Attentive Sequential Recommendation", ICDM 2018: item + positional
embeddings, dropout, `sasrec_blocks` pre-LayerNorm blocks of causal self-attention and a
point-wise ReLU feed-forward of width H, a final LayerNorm; the last position F_L meets the
target through the shared item embedding: logit = <F_L, M_target> + b_target.
Departures: the history rows carry the rating feedback (a liked/disliked embedding is added,
as the TALLRec `SASRec_with_label` baseline appends the 0/1 label); a per-item bias is added to
the paper's plain dot product; pointwise MSE on the label (docs/method.md section 5) instead of the
paper's negative-sampled cross-entropy; torch's `norm_first` blocks normalise keys and values as
well as queries (the authors' code normalises only the queries).
"""

from __future__ import annotations

import torch
from torch import nn

from lsat_core.baselines.base import ClassicRecommender
from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.layers import RatedHistory, bias_table, id_table
from lsat_core.baselines.samples import SampleTensors
from lsat_core.baselines.training import BaselineNetwork
from lsat_core.data.schema import HISTORY_LENGTH


class SASRecNetwork(BaselineNetwork):
    row_tables = ("history.item_embedding.weight", "item_bias.weight")

    def __init__(self, item_rows: int, config: ClassicTrainConfig) -> None:
        super().__init__()
        size = config.embedding_size
        self.history = RatedHistory(item_rows, size, 0.0)
        self.position_embedding = id_table(HISTORY_LENGTH, size)
        self.item_bias = bias_table(item_rows)
        self.dropout = nn.Dropout(config.dropout)
        block = nn.TransformerEncoderLayer(
            size,
            config.sasrec_heads,
            dim_feedforward=size,
            dropout=config.dropout,
            activation="relu",
            batch_first=True,
            norm_first=True,
        )
        self.blocks = nn.TransformerEncoder(
            block, config.sasrec_blocks, norm=nn.LayerNorm(size), enable_nested_tensor=False
        )
        self.register_buffer(
            "causal_mask",
            nn.Transformer.generate_square_subsequent_mask(HISTORY_LENGTH),
            persistent=False,
        )

    def forward(self, batch: SampleTensors) -> torch.Tensor:
        sequence = self.history(batch.hist_items, batch.hist_liked)  # [B, L, H]
        sequence = self.dropout(sequence + self.position_embedding.weight)  # [B, L, H]
        encoded = self.blocks(sequence, mask=self.causal_mask, is_causal=True)  # [B, L, H]
        last = encoded[:, -1]  # [B, H]
        target = self.history.item_embedding(batch.item)  # [B, H], shared with the input
        return (last * target).sum(-1) + self.item_bias(batch.item).squeeze(-1)  # [B]


class SASRec(ClassicRecommender):
    name = "sasrec"

    def build_network(
        self, config: ClassicTrainConfig, user_rows: int, item_rows: int
    ) -> SASRecNetwork:
        return SASRecNetwork(item_rows, config)
