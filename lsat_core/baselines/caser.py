"""Caser: convolutional sequence embedding with a user embedding.

Tang, Wang. "Personalized Top-N Sequential Recommendation via Convolutional Sequence Embedding",
WSDM 2018 (layout of the authors' code, graytowne/caser_pytorch): the L x H history matrix goes
through horizontal filters of several heights (ReLU, max-pooled over time) and vertical filters
(linear, one weighted sum of the rows each); their concatenation, after dropout, gives
z = ReLU(W [o; o_v] + b); then logit = <[z; P_u], W'_target> + b'_target.
Departures: the history rows carry the rating feedback (item + liked/disliked embedding, as the
TALLRec `Caser_with_label` baseline); pointwise MSE on the label (docs/method.md section 5)
instead of the paper's negative-sampled cross-entropy; filter heights 2, 3, 4 as the TALLRec
baseline rather than every height 1..L.
"""

from __future__ import annotations

import torch
from torch import nn

from lsat_core.baselines.base import ClassicRecommender
from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.layers import RatedHistory, TargetScorer, id_table
from lsat_core.baselines.samples import SampleTensors
from lsat_core.baselines.training import BaselineNetwork
from lsat_core.data.schema import HISTORY_LENGTH


class CaserNetwork(BaselineNetwork):
    row_tables = (
        "user_embedding.weight",
        "history.item_embedding.weight",
        "target.embedding.weight",
        "target.bias.weight",
    )

    def __init__(self, user_rows: int, item_rows: int, config: ClassicTrainConfig) -> None:
        super().__init__()
        size = config.embedding_size
        self.history = RatedHistory(item_rows, size, 0.0)
        self.user_embedding = id_table(user_rows, size)
        # A horizontal filter spans the full embedding width, so it is a 1-d convolution over
        # time with the H embedding dimensions as channels (Conv2d with an (h, H) kernel computes
        # the same, about twice as slowly on a CPU).
        self.horizontal = nn.ModuleList(
            nn.Conv1d(size, config.caser_horizontal_filters, height)
            for height in config.caser_filter_heights
        )
        self.vertical = nn.Conv2d(1, config.caser_vertical_filters, (HISTORY_LENGTH, 1))
        features = config.caser_horizontal_filters * len(config.caser_filter_heights)
        features += config.caser_vertical_filters * size
        self.dropout = nn.Dropout(config.dropout)
        self.fc = nn.Linear(features, size)
        self.target = TargetScorer(item_rows, 2 * size)

    def forward(self, batch: SampleTensors) -> torch.Tensor:
        sequence = self.history(batch.hist_items, batch.hist_liked)  # [B, L, H]
        channels = sequence.transpose(1, 2)  # [B, H, L]
        pooled = [
            torch.relu(conv(channels)).amax(dim=2)  # [B, n_h, L-h+1] -> [B, n_h]
            for conv in self.horizontal
        ]
        vertical = self.vertical(sequence.unsqueeze(1)).flatten(1)  # [B, n_v, 1, H] -> [B, n_v*H]
        z = torch.relu(self.fc(self.dropout(torch.cat([*pooled, vertical], dim=1))))  # [B, H]
        user = self.user_embedding(batch.user)  # [B, H]
        return self.target(torch.cat([z, user], dim=1), batch.item)  # [B]


class Caser(ClassicRecommender):
    name = "caser"

    def build_network(
        self, config: ClassicTrainConfig, user_rows: int, item_rows: int
    ) -> CaserNetwork:
        return CaserNetwork(user_rows, item_rows, config)
