"""DeepMusic: content features regressed onto collaborative item factors, for cold items.

van den Oord, Dieleman, Schrauwen. "Deep content-based music recommendation", NeurIPS 2013. The
paper (1) factorises the usage data into user factors x_u and item factors y_i (WMF), (2) trains
a network on each item's content (audio) to regress y_i with an MSE loss, and (3) recommends by
x_u . y'_i with the *predicted* factors y'_i, which exist for items nobody has used yet.

Here, as the paper: user and item factors come from a collaborative model trained on the usage
data only; a separate content network is fitted to those item factors by MSE, its gradient never
reaching the factors; and every target item, warm or cold, is scored from its predicted factors,
so warm and cold items are ranked on one scale. A warm item keeps its learned bias (its own
like-rate, which the text cannot know); a cold item takes the bias the content network predicts.
Departures: the collaborative model is biased MF trained on the binary label through a sigmoid
with MSE (docs/method.md section 5), not WMF on play counts; the content is the item title's frozen
all-MiniLM-L6-v2 embedding (`text_features.py`) and the network an MLP rather than a CNN on
audio; the content network also predicts the item bias; both stages run in one training loop
(the regression target is the current factor, detached) so that early stopping on validation
AUC and fine-tuning treat DeepMusic like every other baseline.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from lsat_core.baselines.base import ClassicRecommender
from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.layers import bias_table, id_table
from lsat_core.baselines.samples import SampleTensors
from lsat_core.baselines.text_features import ItemTextFeatures
from lsat_core.baselines.training import BaselineNetwork
from lsat_core.baselines.vocab import UNKNOWN_INDEX, Vocabulary


class DeepMusicNetwork(BaselineNetwork):
    row_tables = (
        "user_embedding.weight",
        "user_bias.weight",
        "item_embedding.weight",
        "item_bias.weight",
    )
    features: torch.Tensor

    def __init__(
        self, user_rows: int, item_rows: int, features: torch.Tensor, config: ClassicTrainConfig
    ) -> None:
        super().__init__()
        size = config.embedding_size
        self.user_embedding = id_table(user_rows, size)
        self.user_bias = bias_table(user_rows)
        self.item_embedding = id_table(item_rows, size)
        self.item_bias = bias_table(item_rows)
        self.global_bias = nn.Parameter(torch.zeros(()))
        self.content = nn.Sequential(
            nn.Linear(features.shape[1], config.deepmusic_hidden_size),
            nn.ReLU(),
            nn.Dropout(config.dropout),
            nn.Linear(config.deepmusic_hidden_size, size + 1),
        )
        # Row 0 stands for an item without text; the features are not weights, so they are not
        # saved with the model but supplied again when it is loaded.
        self.register_buffer("features", features, persistent=False)  # [F + 1, D]

    def _user_part(self, batch: SampleTensors) -> tuple[torch.Tensor, torch.Tensor]:
        return self.user_embedding(batch.user), self.user_bias(batch.user).squeeze(-1)

    def predicted_factors(self, content: torch.Tensor) -> torch.Tensor:
        return self.content(self.features[content])  # [B, H + 1]: factor and bias

    def forward(self, batch: SampleTensors) -> torch.Tensor:
        assert batch.content is not None
        user, user_bias = self._user_part(batch)  # [B, H], [B]
        predicted = self.predicted_factors(batch.content)  # [B, H + 1]
        warm = batch.item != UNKNOWN_INDEX  # [B]
        item_bias = torch.where(warm, self.item_bias(batch.item).squeeze(-1), predicted[:, -1])
        return (user * predicted[:, :-1]).sum(-1) + item_bias + user_bias + self.global_bias

    def loss(self, batch: SampleTensors) -> torch.Tensor:
        assert batch.content is not None
        user, user_bias = self._user_part(batch)
        factors = torch.cat([self.item_embedding(batch.item), self.item_bias(batch.item)], 1)
        collaborative = (user * factors[:, :-1]).sum(-1) + factors[:, -1] + user_bias
        rating_loss = nn.functional.mse_loss(
            torch.sigmoid(collaborative + self.global_bias), batch.label
        )
        # Regress only real items' factors: a target masked to the unknown slot has none.
        known = (batch.item != UNKNOWN_INDEX).float()  # [B]
        squared = (self.predicted_factors(batch.content) - factors.detach()).pow(2).mean(1)  # [B]
        regression_loss = (squared * known).sum() / known.sum().clamp(min=1.0)
        return rating_loss + regression_loss


class DeepMusic(ClassicRecommender):
    """Needs the text features of every item it may score (`text_features.title_embeddings`)."""

    name = "deepmusic"

    def __init__(self, text_features: ItemTextFeatures) -> None:
        super().__init__()
        self.text_features = text_features

    def build_network(
        self, config: ClassicTrainConfig, user_rows: int, item_rows: int
    ) -> DeepMusicNetwork:
        vectors = torch.from_numpy(np.asarray(self.text_features.vectors, dtype=np.float32))
        features = torch.cat([torch.zeros(1, vectors.shape[1]), vectors])
        return DeepMusicNetwork(user_rows, item_rows, features, config)

    def encode(
        self,
        df: pd.DataFrame,
        users: Vocabulary,
        items: Vocabulary,
        *,
        where: str,
        with_labels: bool,
    ) -> SampleTensors:
        tensors = super().encode(df, users, items, where=where, with_labels=with_labels)
        rows = self.text_features.rows(df["item"].astype(str).to_numpy()) + 1  # -1 -> row 0
        return dataclasses.replace(tensors, content=torch.from_numpy(rows))

    def saved_metadata(self) -> dict[str, Any]:
        return {"text_features_key": self.text_features.key, "text_dim": self.text_features.dim}
