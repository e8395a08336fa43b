"""Popularity: the smoothed like-rate of the target item, the first floor.

docs/method.md section 9: score(item) = (likes + k g) / (count + k) over the training samples,
g the global like-rate; an item never seen as a target scores g. The pseudo-count k is chosen
on the validation samples from `ClassicTrainConfig.popularity_smoothing_grid` (around the 5 the
method suggests). The user and the history are not used.
"""

from __future__ import annotations

import numpy as np

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.floor import FloorRecommender, IdRows, Tables


class Popularity(FloorRecommender):
    name = "popularity"
    hyperparameter = "smoothing"

    def grid(self, config: ClassicTrainConfig) -> tuple[float, ...]:
        return config.popularity_smoothing_grid

    def fit_tables(self, train: IdRows, users: int, items: int, value: float) -> Tables:
        likes = np.bincount(train.item, weights=train.label, minlength=items)  # [I + 1]
        counts = np.bincount(train.item, minlength=items).astype(np.float64)  # [I + 1]
        rate = float(train.label.mean())
        # Row 0 (unknown items) has no count left after the vocabulary, so it scores g.
        return {"item_rate": (likes + value * rate) / (counts + value)}

    def predict(self, tables: Tables, rows: IdRows) -> np.ndarray:
        return tables["item_rate"][rows.item]
