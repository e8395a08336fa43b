"""Samples to index tensors: history shape and labels checked, feedback from ratings."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from lsat_core.baselines.samples import encode_samples
from lsat_core.baselines.vocab import Vocabulary
from lsat_core.errors import InputError

USERS = Vocabulary(("u1", "u2"))
ITEMS = Vocabulary(tuple(f"i{k}" for k in range(12)))


def frame(rows: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": ["u1", "u3"][:rows],
            "item": ["i11", "unseen"][:rows],
            "hist_items": [[f"i{k}" for k in range(10)], ["i1"] * 9 + ["unseen"]][:rows],
            "hist_ratings": [[1.0, 2.0, 3.0, 3.5, 4.0, 5.0, 1.0, 1.0, 1.0, 4.0], [5.0] * 10][:rows],
            "label": [1, 0][:rows],
        }
    )


def test_ids_map_to_rows_and_feedback_is_rating_above_three():
    tensors = encode_samples(frame(), USERS, ITEMS, where="df", with_labels=True)
    assert tensors.user.tolist() == [1, 0]
    assert tensors.item.tolist() == [12, 0]
    assert tensors.hist_items[0].tolist() == list(range(1, 11))
    assert tensors.hist_items[1, -1].item() == 0
    assert tensors.hist_liked[0].tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0, 1]
    assert tensors.label.dtype == torch.float32 and tensors.label.tolist() == [1.0, 0.0]
    assert tensors.content is None


def test_numpy_array_histories_as_parquet_returns_them_are_accepted():
    df = frame()
    df["hist_items"] = [np.array(h, dtype=object) for h in df["hist_items"]]
    df["hist_ratings"] = [np.array(h) for h in df["hist_ratings"]]
    tensors = encode_samples(df, USERS, ITEMS, where="df", with_labels=True)
    assert tensors.hist_items.shape == (2, 10)


def test_scoring_needs_no_label_and_an_empty_frame_encodes():
    tensors = encode_samples(
        frame().drop(columns="label"), USERS, ITEMS, where="df", with_labels=False
    )
    assert tensors.label.tolist() == [0.0, 0.0]
    assert len(encode_samples(frame(0), USERS, ITEMS, where="df", with_labels=True)) == 0


def test_a_history_of_the_wrong_length_names_column_and_row():
    df = frame()
    df.loc[1, "hist_ratings"] = [4.0] * 9
    with pytest.raises(InputError, match=r"^val_df: column hist_ratings: row 1 holds 9 entries"):
        encode_samples(df, USERS, ITEMS, where="val_df", with_labels=True)


def test_missing_columns_and_non_binary_labels_are_refused():
    with pytest.raises(InputError, match=r"^train_df: missing column.*label"):
        encode_samples(
            frame().drop(columns="label"), USERS, ITEMS, where="train_df", with_labels=True
        )
    with pytest.raises(InputError, match="only 0 and 1"):
        encode_samples(frame().assign(label=[4, 1]), USERS, ITEMS, where="df", with_labels=True)


def test_unknown_id_masking_hits_about_the_asked_share_and_spares_content():
    df = pd.concat([frame(1)] * 2000, ignore_index=True)
    tensors = encode_samples(df, USERS, ITEMS, where="df", with_labels=True)
    tensors = dataclasses.replace(tensors, content=torch.ones(len(df), dtype=torch.long))
    assert tensors.with_unknown_ids(0.0) is tensors
    torch.manual_seed(0)
    masked = tensors.with_unknown_ids(0.25)
    for name in ("user", "item", "hist_items"):
        share = (getattr(masked, name) == 0).float().mean().item()
        assert share == pytest.approx(0.25, abs=0.03), name
    assert torch.equal(masked.content, tensors.content)
    assert torch.equal(masked.hist_liked, tensors.hist_liked)
