"""MF: biased matrix factorisation.

Koren, Bell, Volinsky. "Matrix Factorization Techniques for Recommender Systems", IEEE Computer
2009: r_ui = mu + b_u + b_i + <p_u, q_i>. Departures: trained on the binary label through a
sigmoid with MSE (docs/method.md section 5) instead of regressing the raw rating, and with Adam
instead of SGD; the sample's history is not used (MF is the non-sequential collaborative baseline).
"""

from __future__ import annotations

import torch
from torch import nn

from lsat_core.baselines.base import ClassicRecommender
from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.layers import bias_table, id_table
from lsat_core.baselines.samples import SampleTensors
from lsat_core.baselines.training import BaselineNetwork


class MFNetwork(BaselineNetwork):
    row_tables = (
        "user_embedding.weight",
        "user_bias.weight",
        "item_embedding.weight",
        "item_bias.weight",
    )

    def __init__(self, user_rows: int, item_rows: int, size: int) -> None:
        super().__init__()
        self.user_embedding = id_table(user_rows, size)
        self.user_bias = bias_table(user_rows)
        self.item_embedding = id_table(item_rows, size)
        self.item_bias = bias_table(item_rows)
        self.global_bias = nn.Parameter(torch.zeros(()))

    def forward(self, batch: SampleTensors) -> torch.Tensor:
        p = self.user_embedding(batch.user)  # [B, H]
        q = self.item_embedding(batch.item)  # [B, H]
        biases = self.user_bias(batch.user) + self.item_bias(batch.item)  # [B, 1]
        return (p * q).sum(-1) + biases.squeeze(-1) + self.global_bias  # [B]


class MF(ClassicRecommender):
    name = "mf"

    def build_network(
        self, config: ClassicTrainConfig, user_rows: int, item_rows: int
    ) -> MFNetwork:
        return MFNetwork(user_rows, item_rows, config.embedding_size)
