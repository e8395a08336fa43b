"""Every choice that shapes a period stream (docs/method.md section 1), in one frozen config.

The defaults are neutral (no filters, the whole stream cut into 20 equal chunks by count); the
dataset registry (`lsat_core.data.datasets`) holds the reference settings of each dataset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from lsat_core.data.schema import HISTORY_LENGTH
from lsat_core.errors import ConfigError

BY_COUNT = "count"
BY_TIME = "time"
PERIOD_MODES = (BY_COUNT, BY_TIME)
ITEM_COUNT_KEYS = ("item", "title")


@dataclass(frozen=True)
class StreamConfig:
    period_mode: str = BY_COUNT
    """"count": consecutive chunks of equal size (ML-1M); "time": equal-width time bins (Amazon)."""
    num_periods: int = 20
    """T, the number of periods D_1..D_T."""
    period_size: int | None = None
    """Count mode: samples per period; the last num_periods * period_size samples are kept
    (ML-1M: 10,000). None: the whole stream in equal chunks, the oldest remainder dropped."""
    time_start: str | None = None
    """Time mode: first bin edge, a wall-clock date "YYYY-MM-DD[ HH:MM[:SS]]" (tz_offset_hours)."""
    time_end: str | None = None
    """Time mode: last bin edge (exclusive), same form as time_start."""
    tz_offset_hours: float = 0.0
    """UTC offset of time_start/time_end; the Amazon reference parsed its edges in UTC+8."""
    history_length: int = HISTORY_LENGTH
    """Interactions before the target that form a sample's history (liked and disliked alike)."""
    val_fraction: float = 0.1
    """Last share of each period (time order) used for validation; train is the rest."""
    min_user_interactions: int = 0
    """Keep users with at least this many ratings (Amazon: 11), counted before any sampling."""
    user_sample_fraction: float = 1.0
    """Share of the kept users drawn at random with `seed` (Amazon: 0.2)."""
    min_item_interactions: int = 0
    """Keep items rated at least this often by the sampled users (Amazon: 50)."""
    item_count_key: str = "title"
    """What min_item_interactions counts: "title" as the Amazon reference did (editions of one
    book share a title) or "item" (the item id)."""
    seed: int = 0
    """Seed of the user sample."""

    def __post_init__(self) -> None:
        if self.period_mode not in PERIOD_MODES:
            raise ConfigError(
                f"unknown mode {self.period_mode!r}; choose one of {', '.join(PERIOD_MODES)}",
                where="period_mode",
            )
        _at_least("num_periods", self.num_periods, 1)
        _at_least("history_length", self.history_length, 1)
        _at_least("min_user_interactions", self.min_user_interactions, 0)
        _at_least("min_item_interactions", self.min_item_interactions, 0)
        _at_least("seed", self.seed, 0)
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(
                f"must lie strictly between 0 and 1, got {self.val_fraction}", where="val_fraction"
            )
        if not 0.0 < self.user_sample_fraction <= 1.0:
            raise ConfigError(
                f"must lie in (0, 1], got {self.user_sample_fraction}", where="user_sample_fraction"
            )
        if self.item_count_key not in ITEM_COUNT_KEYS:
            raise ConfigError(
                f"choose one of {', '.join(ITEM_COUNT_KEYS)}, got {self.item_count_key!r}",
                where="item_count_key",
            )
        if not -14.0 <= self.tz_offset_hours <= 14.0:
            raise ConfigError(
                f"must lie in [-14, 14], got {self.tz_offset_hours}", where="tz_offset_hours"
            )
        if self.period_mode == BY_COUNT:
            self._check_count_mode()
        else:
            self._check_time_mode()

    def _check_count_mode(self) -> None:
        if self.period_size is not None:
            # Two samples at least, so that both the train and the validation part are non-empty.
            _at_least("period_size", self.period_size, 2)
        if self.time_start is not None or self.time_end is not None:
            raise ConfigError("only used with period_mode 'time'", where="time_start/time_end")

    def _check_time_mode(self) -> None:
        if self.period_size is not None:
            raise ConfigError("only used with period_mode 'count'", where="period_size")
        if self.time_start is None or self.time_end is None:
            raise ConfigError("period_mode 'time' needs both", where="time_start/time_end")
        start, end = self.time_edges_unix()
        if start >= end:
            raise ConfigError(
                f"{self.time_start!r} is not before {self.time_end!r}", where="time_start"
            )

    def time_edges_unix(self) -> tuple[int, int]:
        """time_start and time_end as Unix seconds, read in UTC + tz_offset_hours.

        The reference turned naive date strings into Unix time with the machine's local zone
        (`datetime.strptime(...).timestamp()` in UTC+8) and kept whole seconds; so do we.
        """
        zone = timezone(timedelta(hours=self.tz_offset_hours))
        edges = []
        for name, text in (("time_start", self.time_start), ("time_end", self.time_end)):
            try:
                moment = datetime.fromisoformat(str(text))
            except ValueError as exc:
                raise ConfigError(f"not a date: {text!r}", where=name) from exc
            if moment.tzinfo is not None:
                raise ConfigError(
                    f"give a wall-clock date without a zone (set tz_offset_hours), got {text!r}",
                    where=name,
                )
            edges.append(int(moment.replace(tzinfo=zone).timestamp()))
        return edges[0], edges[1]


def _at_least(name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"must be an integer >= {low}, got {value!r}", where=name)
