"""A built period stream D_1..D_T and the slices of it that strategies and protocols use.

Periods are numbered 1..T. Inside a period the samples are in time order, train first (the
first 90%), then val (the last 10%); the test set of a period is the whole period (the reference
evaluates on all of D_{t+1}, docs/method.md section 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from lsat_core.configs import config_hash
from lsat_core.data.schema import SAMPLE_COLUMNS, TRAIN
from lsat_core.data.stream_config import StreamConfig
from lsat_core.errors import InputError

STREAM_FORMAT_VERSION = 1
"""Bumped when the builder's output changes for the same config and raw files (new cache key)."""


@dataclass(frozen=True)
class StreamKeyParts:
    """What a cached stream is keyed by: the config, the raw files and how they were read."""

    config: StreamConfig
    checksum: str
    source: str
    format_version: int = STREAM_FORMAT_VERSION


def stream_key(config: StreamConfig, checksum: str, source: str) -> str:
    return config_hash(StreamKeyParts(config=config, checksum=checksum, source=source))


@dataclass(frozen=True, eq=False)
class Stream:
    samples: pd.DataFrame
    """SAMPLE_COLUMNS, sorted by period, then train before val, each in time order."""
    items: pd.DataFrame
    """ITEMS_COLUMNS for every item that occurs in the samples (as target or in a history)."""
    config: StreamConfig
    checksum: str
    """SHA-256 of the raw files the stream was built from."""
    source: str
    """The source and its parse choices (see RatingsSource.describe)."""
    noun: str
    """"movie", "book", ...: the word the prompt uses for an item."""

    def __post_init__(self) -> None:
        if tuple(self.samples.columns) != SAMPLE_COLUMNS:
            raise ValueError(f"sample columns {list(self.samples.columns)} != {SAMPLE_COLUMNS}")

    @cached_property
    def key(self) -> str:
        """Content key: equal for equal config, raw files and reader (the cache folder name)."""
        return stream_key(self.config, self.checksum, self.source)

    @property
    def num_periods(self) -> int:
        return self.config.num_periods

    @cached_property
    def _bounds(self) -> np.ndarray:
        """Per period, the rows where it starts, where its val part starts and where it ends."""
        periods = self.samples["period"].to_numpy()
        numbers = np.arange(1, self.num_periods + 1)
        starts = np.searchsorted(periods, numbers, side="left")
        ends = np.searchsorted(periods, numbers, side="right")
        trains = np.r_[0, np.cumsum((self.samples["split"] == TRAIN).to_numpy())]
        return np.stack([starts, starts + trains[ends] - trains[starts], ends], axis=1)  # [T, 3]

    def _bounds_of(self, t: int) -> tuple[int, int, int]:
        """(start, start of val, end) rows of period t; InputError when t is not a period."""
        if (
            isinstance(t, bool)
            or not isinstance(t, int | np.integer)
            or not 1 <= t <= self.num_periods
        ):
            raise InputError(f"period {t!r} is out of range 1..{self.num_periods}", where="period")
        start, val_start, end = self._bounds[t - 1]
        return int(start), int(val_start), int(end)

    def period(self, t: int) -> pd.DataFrame:
        """All samples of D_t, in time order."""
        start, _, end = self._bounds_of(t)
        return self.samples.iloc[start:end]

    def train(self, t: int) -> pd.DataFrame:
        """train_t: the first (1 - val_fraction) of D_t in time order."""
        start, val_start, _ = self._bounds_of(t)
        return self.samples.iloc[start:val_start]

    def val(self, t: int) -> pd.DataFrame:
        """val_t: the last val_fraction of D_t in time order."""
        _, val_start, end = self._bounds_of(t)
        return self.samples.iloc[val_start:end]

    def test(self, t: int) -> pd.DataFrame:
        """The test set of D_t is the whole period (docs/method.md section 1, step 5)."""
        return self.period(t)

    def train_range(self, first: int, last: int) -> pd.DataFrame:
        """train_first..train_last plus val_first..val_{last-1}, in stream order.

        Full retraining at period t uses train_range(1, t) and validates on val(t); the
        validation sets of earlier periods are folded into training (docs/method.md section 3).
        """
        if first > last:
            raise InputError(f"first period {first} is after last period {last}", where="period")
        parts = []
        for t in range(first, last + 1):
            parts.append(self.period(t) if t < last else self.train(t))
        return pd.concat(parts)

    def warm_items(self, periods: Iterable[int]) -> frozenset[str]:
        """Items that appear as a target in the given periods; history items do not count."""
        found: set[str] = set()
        for t in periods:
            found.update(self.period(t)["item"].unique())
        return frozenset(found)

    @cached_property
    def titles(self) -> Mapping[str, str]:
        """item id -> title for every item in the stream."""
        return dict(zip(self.items["item"], self.items["title"], strict=True))

    def title(self, item: str) -> str:
        try:
            return self.titles[item]
        except KeyError:
            raise InputError(f"no item {item!r} in the stream", where="item") from None
