"""The samples an experiment actually uses: each period part, cut to the sample budget.

A subset is drawn once per (period, part) from a seed derived from the budget's seed, the period
and the part, then kept in stream (time) order; so every strategy and every process of an
experiment sees the same samples, and the set's key names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from lsat_core.data.stream import Stream
from lsat_core.engine.experiment_config import SampleBudget

PARTS = ("train", "val", "test")
_PART_CODES = {part: code for code, part in enumerate(PARTS)}


@dataclass(frozen=True, eq=False)
class SampleSet:
    key: str
    """Names the samples: "p<period>-<part>-<n>-s<seed>", or a join of such keys."""
    frame: pd.DataFrame

    @cached_property
    def labels(self) -> np.ndarray:
        return self.frame["label"].to_numpy(dtype=np.int64)

    def __len__(self) -> int:
        return len(self.frame)


def budget_for(budget: SampleBudget, part: str) -> int | None:
    return {
        "train": budget.train_per_period,
        "val": budget.val_per_period,
        "test": budget.test_per_period,
    }[part]


def period_part(stream: Stream, budget: SampleBudget, period: int, part: str) -> SampleSet:
    """Part `part` of D_period (test = the whole period), cut to the budget."""
    if part not in _PART_CODES:
        raise ValueError(f"unknown part {part!r}")
    frame = {"train": stream.train, "val": stream.val, "test": stream.test}[part](period)
    limit = budget_for(budget, part)
    if limit is not None and len(frame) > limit:
        rng = np.random.default_rng([budget.seed, period, _PART_CODES[part]])
        rows = np.sort(rng.choice(len(frame), size=limit, replace=False))
        frame = frame.iloc[rows]
    return SampleSet(key=f"p{period}-{part}-{len(frame)}-s{budget.seed}", frame=frame)


def union(sets: list[SampleSet]) -> SampleSet:
    """Several parts as one training set, in the given order."""
    return SampleSet(key="+".join(s.key for s in sets), frame=pd.concat([s.frame for s in sets]))
