"""Per-period statistics of a stream: what the dashboard and `lsat data stats` show."""

from __future__ import annotations

import pandas as pd

from lsat_core.data.stream import Stream

STATS_COLUMNS = (
    "period",
    "samples",
    "train",
    "val",
    "users",
    "items",
    "positive_rate",
    "cold_items",
    "cold_item_share",
    "cold_sample_share",
    "first_timestamp",
    "last_timestamp",
)


def period_stats(stream: Stream) -> pd.DataFrame:
    """One row per period.

    items: distinct target items. cold_items: targets of D_t that are not a target in any
    D_1..D_{t-1} (history items do not count, docs/method.md section 1); cold_item_share is their
    share of the distinct targets, cold_sample_share the share of D_t's samples whose target is
    cold. Timestamps are UTC, ISO 8601.
    """
    rows = []
    seen: set[str] = set()
    for t in range(1, stream.num_periods + 1):
        period = stream.period(t)
        targets = period["item"]
        distinct = set(targets.unique())
        cold = distinct - seen
        timestamps = period["timestamp"]
        rows.append(
            {
                "period": t,
                "samples": len(period),
                "train": len(stream.train(t)),
                "val": len(stream.val(t)),
                "users": period["user"].nunique(),
                "items": len(distinct),
                "positive_rate": float(period["label"].mean()),
                "cold_items": len(cold),
                "cold_item_share": len(cold) / len(distinct),
                "cold_sample_share": float(targets.isin(cold).mean()),
                "first_timestamp": _utc_iso(int(timestamps.min())),
                "last_timestamp": _utc_iso(int(timestamps.max())),
            }
        )
        seen |= distinct
    return pd.DataFrame(rows, columns=list(STATS_COLUMNS))


def _utc_iso(seconds: int) -> str:
    return pd.Timestamp(seconds, unit="s", tz="UTC").isoformat()
