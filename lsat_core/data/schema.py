"""The shapes every other part of the library relies on: ratings tables and stream samples.

A *ratings table* (what a data source yields) is a DataFrame with RATINGS_COLUMNS, in the source
file's line order (that order breaks timestamp ties, docs/method.md section 1), plus an *items
table* with ITEMS_COLUMNS (one title per item id).

A *stream* is a DataFrame of samples with SAMPLE_COLUMNS, one row per sample, in stream order:
- sample_id: position in the whole ordered stream (before the last-N cut), unique
- period: 1..T
- split: "train" (first 90% of the period in time order) or "val" (last 10%); the test set of a
  period is the whole period
- user, item: ids as strings; item is the target
- hist_items, hist_ratings: the user's 10 interactions just before the target, oldest first
- rating, label (1 when rating > 3), timestamp (Unix seconds, UTC)
"""

from __future__ import annotations

RATINGS_COLUMNS = ("user", "item", "rating", "timestamp")
ITEMS_COLUMNS = ("item", "title")
SAMPLE_COLUMNS = (
    "sample_id",
    "period",
    "split",
    "user",
    "item",
    "hist_items",
    "hist_ratings",
    "rating",
    "label",
    "timestamp",
)
HISTORY_LENGTH = 10
POSITIVE_THRESHOLD = 3.0
"""label = rating > POSITIVE_THRESHOLD (the reference's `rating > 3`)."""
TRAIN, VAL = "train", "val"
