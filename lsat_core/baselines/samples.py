"""Stream samples (`lsat_core.data.schema`) turned into the index tensors the baselines read."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from lsat_core.baselines.vocab import UNKNOWN_INDEX, Vocabulary
from lsat_core.data.schema import HISTORY_LENGTH, POSITIVE_THRESHOLD
from lsat_core.errors import InputError

SCORE_COLUMNS = ("user", "item", "hist_items", "hist_ratings")
FIT_COLUMNS = (*SCORE_COLUMNS, "label")


@dataclass(frozen=True)
class SampleTensors:
    """One row per sample; ids are vocabulary rows (0 = unknown)."""

    user: torch.Tensor
    """[N] user rows."""
    item: torch.Tensor
    """[N] target item rows."""
    hist_items: torch.Tensor
    """[N, L] history item rows, oldest first."""
    hist_liked: torch.Tensor
    """[N, L] 1 where the history rating is positive (rating > 3), else 0."""
    label: torch.Tensor
    """[N] float 0/1 target labels (zeros when the frame carried none)."""
    content: torch.Tensor | None = None
    """[N] rows of the target items' text features (DeepMusic only; 0 = no text)."""

    def __len__(self) -> int:
        return int(self.user.shape[0])

    def _map(self, fn) -> SampleTensors:
        changes = {
            f.name: fn(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }
        return dataclasses.replace(self, **changes)

    def select(self, index: torch.Tensor | slice) -> SampleTensors:
        return self._map(lambda tensor: tensor[index])

    def to(self, device: torch.device) -> SampleTensors:
        return self._map(lambda tensor: tensor.to(device))

    def with_unknown_ids(self, rate: float) -> SampleTensors:
        """Each user, target and history id replaced by the unknown row with probability `rate`.

        Draws from torch's global generator, which `fit` seeds; `content` is left alone so
        DeepMusic still sees the item's text.
        """
        if rate == 0:
            return self

        def mask(ids: torch.Tensor) -> torch.Tensor:
            drop = torch.rand(ids.shape, device=ids.device) < rate
            return ids.masked_fill(drop, UNKNOWN_INDEX)

        return dataclasses.replace(
            self, user=mask(self.user), item=mask(self.item), hist_items=mask(self.hist_items)
        )


def require_columns(df: pd.DataFrame, columns: tuple[str, ...], where: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", where=where)


def history_matrix(df: pd.DataFrame, column: str, where: str) -> np.ndarray:
    """[N, L] array of a list column; every row must hold exactly HISTORY_LENGTH entries."""
    lengths = df[column].map(len).to_numpy()
    bad = np.flatnonzero(lengths != HISTORY_LENGTH)
    if bad.size:
        raise InputError(
            f"column {column}: row {df.index[bad[0]]!r} holds {lengths[bad[0]]} entries, "
            f"expected {HISTORY_LENGTH}",
            where=where,
        )
    if not len(df):
        return np.empty((0, HISTORY_LENGTH), dtype=object)
    return np.stack([np.asarray(row) for row in df[column].to_numpy()])


def encode_samples(
    df: pd.DataFrame,
    users: Vocabulary,
    items: Vocabulary,
    *,
    where: str,
    with_labels: bool,
) -> SampleTensors:
    """Index tensors of `df` over the given vocabularies (unknown ids map to row 0)."""
    require_columns(df, FIT_COLUMNS if with_labels else SCORE_COLUMNS, where)
    hist_items = history_matrix(df, "hist_items", where)
    hist_ratings = history_matrix(df, "hist_ratings", where).astype(np.float64)
    if with_labels:
        labels = df["label"].to_numpy(dtype=np.float32, copy=True)
        if not np.isin(labels, (0, 1)).all():
            raise InputError("column label must hold only 0 and 1", where=where)
    else:
        labels = np.zeros(len(df), dtype=np.float32)
    return SampleTensors(
        user=torch.from_numpy(users.lookup(df["user"].astype(str).to_numpy())),
        item=torch.from_numpy(items.lookup(df["item"].astype(str).to_numpy())),
        hist_items=torch.from_numpy(items.lookup(hist_items)),
        hist_liked=torch.from_numpy((hist_ratings > POSITIVE_THRESHOLD).astype(np.int64)),
        label=torch.from_numpy(labels),
    )
