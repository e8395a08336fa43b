"""Planted-signal streams in the sample schema, for tests and benchmarks of the baselines.

Every user and item belongs to one of `groups` taste groups and a user likes exactly the items
of their own group (up to `label_noise`). The signal is a pure user x item interaction, so a
model only beats AUC 0.5 by learning it: from user and item ids (MF, Caser), from the rated
history (GRU4Rec, Caser, SASRec) or from item text features that carry the item's group
(DeepMusic). Options bring the stream closer to real ratings: `bias_std` gives users and items
a propensity to like and be liked (main effects a model picks up in its first steps),
`popularity_exponent` skews item popularity and `user_active_days` confines each user to a
short stretch of time, so that, as in ML-1M, a period holds few users with many samples each.

Samples are built as docs/method.md section 1 builds them: each interaction with ten earlier ones
of its user is a sample, ordered by time, cut into periods by count, 90% train / 10% val.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lsat_core.baselines.text_features import ItemTextFeatures
from lsat_core.data.schema import HISTORY_LENGTH, SAMPLE_COLUMNS, TRAIN, VAL

START_TIME = 975_000_000
"""Unix seconds near the start of the reference ML-1M stream (December 2000)."""


@dataclass(frozen=True, eq=False)
class PlantedStream:
    samples: pd.DataFrame
    """Stream samples with SAMPLE_COLUMNS, in stream order."""
    items: pd.DataFrame
    """Items table (item, title)."""
    item_groups: dict[str, int]
    features: ItemTextFeatures
    """Text-like item features: the group's centroid plus noise, unit length."""

    def period(self, period: int) -> pd.DataFrame:
        return self.samples[self.samples["period"] == period]


def planted_stream(
    *,
    users: int,
    items: int,
    samples: int,
    periods: int = 1,
    groups: int = 2,
    label_noise: float = 0.0,
    bias_std: float = 0.0,
    popularity_exponent: float = 0.0,
    user_active_days: float | None = None,
    feature_dim: int = 16,
    feature_noise: float = 0.5,
    seed: int = 0,
) -> PlantedStream:
    """About `samples` samples (exactly, when `users` divides it) over `periods` periods.

    An interaction is liked when (+1 if the groups match else -1) + b_user + b_item > 0, with
    biases drawn from N(0, bias_std), and that outcome is then flipped with prob. `label_noise`.
    Item k is drawn with probability proportional to (k + 1) ** -popularity_exponent. Users are
    active over the whole 800-day span, or over `user_active_days` from a random start.
    """
    rng = np.random.default_rng(seed)
    user_group = rng.integers(groups, size=users)
    item_group = rng.integers(groups, size=items)
    per_user = rng.multinomial(samples, np.full(users, 1.0 / users)) + HISTORY_LENGTH
    user_of = np.repeat(np.arange(users), per_user)  # one row per interaction
    popularity = np.arange(1, items + 1, dtype=float) ** -popularity_exponent
    item_of = rng.choice(items, size=user_of.size, p=popularity / popularity.sum())
    span, day = 800 * 86_400, 86_400
    if user_active_days is None:
        times = START_TIME + rng.integers(0, span, size=user_of.size)
    else:
        active = int(user_active_days * day)
        starts = rng.integers(0, span - active, size=users)
        times = START_TIME + starts[user_of] + rng.integers(0, active, size=user_of.size)
    order = np.lexsort((times, user_of))
    item_of, times = item_of[order], times[order]
    user_bias = rng.normal(0.0, bias_std, size=users)
    item_bias = rng.normal(0.0, bias_std, size=items)
    taste = np.where(user_group[user_of] == item_group[item_of], 1.0, -1.0)
    liked = taste + user_bias[user_of] + item_bias[item_of] > 0
    liked ^= rng.random(user_of.size) < label_noise
    ratings = np.where(
        liked, rng.integers(4, 6, size=liked.size), rng.integers(1, 4, size=liked.size)
    )

    first = np.repeat(np.cumsum(per_user) - per_user, per_user)
    rows = np.flatnonzero(np.arange(user_of.size) - first >= HISTORY_LENGTH)  # sample targets
    window = rows[:, None] + np.arange(-HISTORY_LENGTH, 0)  # [S, L] history rows, oldest first
    item_ids = np.array([f"i{k}" for k in range(items)], dtype=object)
    frame = pd.DataFrame(
        {
            "user": [f"u{k}" for k in user_of[rows]],
            "item": item_ids[item_of[rows]],
            "hist_items": list(item_ids[item_of[window]]),
            "hist_ratings": list(ratings[window].astype(float)),
            "rating": ratings[rows].astype(float),
            "label": liked[rows].astype(np.int64),
            "timestamp": times[rows],
        }
    )
    frame["hist_items"] = frame["hist_items"].map(list)
    frame["hist_ratings"] = frame["hist_ratings"].map(list)
    frame = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    frame["sample_id"] = np.arange(len(frame))
    frame["period"] = np.arange(len(frame)) * periods // len(frame) + 1
    position = frame.groupby("period").cumcount().to_numpy()
    size = frame.groupby("period")["period"].transform("size").to_numpy()
    frame["split"] = np.where(position < np.floor(size * 0.9), TRAIN, VAL)

    centroids = rng.normal(size=(groups, feature_dim))
    vectors = centroids[item_group] + feature_noise * rng.normal(size=(items, feature_dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    features = ItemTextFeatures(
        tuple(item_ids),
        vectors.astype(np.float32),
        key=f"planted-{seed}-{users}-{items}-{groups}-{feature_dim}-{feature_noise}",
    )
    titles = pd.DataFrame({"item": item_ids, "title": [f"Item {k}" for k in range(items)]})
    return PlantedStream(
        samples=frame[list(SAMPLE_COLUMNS)],
        items=titles,
        item_groups={item_ids[k]: int(g) for k, g in enumerate(item_group)},
        features=features,
    )
