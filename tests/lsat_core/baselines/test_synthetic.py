"""The planted stream follows the sample schema and docs/method.md section 1's construction."""

from __future__ import annotations

import numpy as np

from lsat_core.baselines.synthetic import planted_stream
from lsat_core.data.schema import HISTORY_LENGTH, SAMPLE_COLUMNS


def test_schema_periods_and_splits():
    stream = planted_stream(users=30, items=20, samples=600, periods=3, seed=1)
    samples = stream.samples
    assert tuple(samples.columns) == SAMPLE_COLUMNS
    assert len(samples) == 600
    assert samples["period"].value_counts().sort_index().tolist() == [200, 200, 200]
    assert samples["timestamp"].is_monotonic_increasing
    for _, period in samples.groupby("period"):
        assert period["split"].tolist() == ["train"] * 180 + ["val"] * 20
    assert set(samples["label"]) == {0, 1}
    assert (samples["label"] == (samples["rating"] > 3)).all()
    assert stream.items["item"].tolist() == list(stream.features.item_ids)


def test_history_is_the_users_ten_previous_interactions_and_labels_follow_groups():
    stream = planted_stream(users=5, items=20, samples=100, seed=2)
    groups = stream.item_groups
    for _, rows in stream.samples.groupby("user"):
        rows = rows.sort_values("timestamp")
        assert all(len(h) == HISTORY_LENGTH for h in rows["hist_items"])
        for (_, before), (_, after) in zip(
            rows.iloc[:-1].iterrows(), rows.iloc[1:].iterrows(), strict=True
        ):
            assert list(after["hist_items"]) == [*list(before["hist_items"])[1:], before["item"]]
            assert list(after["hist_ratings"])[-1] == before["rating"]
        # One taste group per user: liked targets share it, disliked ones do not.
        liked = {groups[i] for i in rows.loc[rows["label"] == 1, "item"]}
        disliked = {groups[i] for i in rows.loc[rows["label"] == 0, "item"]}
        assert len(liked) <= 1 and not liked & disliked


def test_features_carry_the_item_group():
    stream = planted_stream(users=5, items=40, samples=100, feature_noise=0.1, seed=3)
    vectors = stream.features.vectors
    same = np.array(
        [
            [stream.item_groups[a] == stream.item_groups[b] for b in stream.features.item_ids]
            for a in stream.features.item_ids
        ]
    )
    cosine = vectors @ vectors.T
    assert cosine[same].mean() > cosine[~same].mean() + 0.5
