"""Id-to-row maps of the classic baselines, with a reserved unknown row, and how they grow.

Row 0 of every user or item table is the *unknown* slot: ids the model never trained on (new
users, cold items, docs/method.md section 1) map there and are scored instead of raising.
Training masks a small share of ids to that row (`ClassicTrainConfig.unknown_rate`), so the slot
learns what an unseen id looks like on average; the reference baselines instead leave rows of
unseen items at their random initial values.

Fine-tuning (docs/method.md section 3) continues from the previous period's model while new ids keep
arriving. A vocabulary therefore only ever grows by appending: an id keeps its row for the life
of a model line, so the previous weights can be copied row for row and only the appended rows
start from a fresh initialisation (`carry_over_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

UNKNOWN_INDEX = 0
"""Row of the unknown slot in every id table."""


@dataclass(frozen=True)
class Vocabulary:
    """Known ids in row order: `ids[k]` owns row `k + 1`; row 0 is the unknown slot."""

    ids: tuple[str, ...] = ()
    _index: pd.Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = pd.Index(self.ids, dtype=object)
        if not index.is_unique:
            duplicated = index[index.duplicated()][0]
            raise ValueError(f"vocabulary ids must be unique; {duplicated!r} repeats")
        object.__setattr__(self, "_index", index)

    @property
    def size(self) -> int:
        """Rows an embedding table over this vocabulary needs, the unknown slot included."""
        return len(self.ids) + 1

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def extended(self, ids: Iterable[str]) -> Vocabulary:
        """This vocabulary with the unseen `ids` appended in first-appearance order.

        Existing rows never move, which is what lets fine-tuning keep earlier embeddings.
        """
        new = pd.unique(pd.Series(list(ids), dtype=object).astype(str).to_numpy())
        unseen = [value for value in new if value not in self._index]
        return self if not unseen else Vocabulary(self.ids + tuple(unseen))

    def lookup(self, ids: Iterable[str] | np.ndarray) -> np.ndarray:
        """Row of each id (int64, same shape as `ids`); unknown ids get `UNKNOWN_INDEX`."""
        values = np.asarray(ids, dtype=object)
        # pandas' string dtype, not numpy's: a fixed-width numpy copy of 2M titles takes 650 MB.
        keys = pd.Series(values.ravel(), dtype=object).astype(str)
        positions = self._index.get_indexer(keys)
        return (positions + 1).astype(np.int64).reshape(values.shape)


def carry_over_rows(
    previous: Mapping[str, torch.Tensor],
    fresh: Mapping[str, torch.Tensor],
    row_tables: Iterable[str],
) -> dict[str, torch.Tensor]:
    """State for a grown network: `previous` weights copied into a `fresh` initialisation.

    `row_tables` names the tensors whose first dimension runs over a vocabulary; they may have
    grown, and only their first `len(previous)` rows are copied, so rows of new ids keep the
    fresh initialisation. Every other tensor must have the same shape in both states.
    """
    row_tables = set(row_tables)
    merged: dict[str, torch.Tensor] = {}
    for name, target in fresh.items():
        if name not in previous:
            raise KeyError(f"previous state lacks {name!r}")
        source = previous[name].to(device=target.device, dtype=target.dtype)
        if name in row_tables:
            if source.shape[0] > target.shape[0] or source.shape[1:] != target.shape[1:]:
                raise ValueError(
                    f"{name}: cannot grow {tuple(source.shape)} into {tuple(target.shape)}"
                )
            grown = target.clone()
            grown[: source.shape[0]] = source
            merged[name] = grown
        elif source.shape != target.shape:
            raise ValueError(f"{name}: shape {tuple(source.shape)} != {tuple(target.shape)}")
        else:
            merged[name] = source.clone()
    return merged
