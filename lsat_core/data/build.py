"""Build the period stream from a ratings table (docs/method.md section 1): the reference algorithm.

Reference code: TianhaoShi2001/LSAT, `process_ML_dataset.ipynb` and
`process_amazon_book_dataset.ipynb`. They loop over Python dicts; we do the same steps with
numpy on whole columns (a stable sort everywhere a Python `sorted` was used) so that the ML-1M
stream, 1M ratings, builds in about a second.

1. Filters (Amazon only in the reference, in this order): users with >= 11 ratings; a 20% sample
   of them (pandas `sample`, seed 0); items rated >= 50 times by the sampled users, counted by
   title. Users are not filtered again after the item filter, as in the reference.
2. Per user, ratings in time order (stable: ties keep the file's line order); each rating with
   at least 10 earlier ones is a sample whose history is the 10 just before it.
3. Samples ordered by target timestamp, stable, from users in order of first appearance.
4. Periods by count (keep the last T * size samples) or by equal-width time bins [low, high).
5. Per period: train = the first int((1 - val_fraction) * n) samples, val = the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lsat_core.data.schema import POSITIVE_THRESHOLD, SAMPLE_COLUMNS, TRAIN, VAL
from lsat_core.data.sources.base import RatingsData
from lsat_core.data.stream import Stream
from lsat_core.data.stream_config import BY_COUNT, StreamConfig
from lsat_core.errors import InputError


def build_stream(data: RatingsData, config: StreamConfig) -> Stream:
    ratings = filter_ratings(data.ratings, data.items, config)
    order = sample_rows(ratings, config.history_length)
    timestamps = ratings["timestamp"].to_numpy()[order[:, -1]]
    kept, periods = assign_periods(timestamps, config, data.origin)
    samples = sample_frame(ratings, order[kept], periods, kept, config)
    used = pd.unique(ratings["item"].to_numpy()[np.unique(order[kept])])
    items = data.items[data.items["item"].isin(used)].reset_index(drop=True)
    return Stream(
        samples=samples,
        items=items,
        config=config,
        checksum=data.checksum,
        source=data.source,
        noun=data.noun,
    )


def filter_ratings(
    ratings: pd.DataFrame, items: pd.DataFrame, config: StreamConfig
) -> pd.DataFrame:
    """Ratings of the kept users and items, still in file order.

    Ratings of an item without a title are dropped first: a prompt cannot name such an item
    (the Amazon reference drops rows without a title; MovieLens titles every item)."""
    ratings = ratings[ratings["item"].isin(items["item"])]
    if config.min_user_interactions > 0 or config.user_sample_fraction < 1.0:
        ratings = ratings[ratings["user"].isin(_kept_users(ratings["user"], config))]
    if config.min_item_interactions > 0:
        if config.item_count_key == "title":
            keys = ratings["item"].map(items.set_index("item")["title"])
        else:
            keys = ratings["item"]
        counts = keys.value_counts()
        ratings = ratings[keys.isin(counts.index[counts >= config.min_item_interactions])]
    return ratings.reset_index(drop=True)


def _kept_users(users: pd.Series, config: StreamConfig) -> pd.Index:
    codes, names = pd.factorize(users)
    counts = np.bincount(codes, minlength=len(names))
    eligible = np.flatnonzero(counts >= config.min_user_interactions)
    if config.user_sample_fraction >= 1.0:
        return pd.Index(names[eligible])
    # The reference sampled `value_counts()` (most active first) with Series.sample(n,
    # random_state=0). value_counts leaves the order of equal counts to the pandas version; we
    # fix it to first appearance so the sample is the same on every machine.
    by_activity = eligible[np.argsort(-counts[eligible], kind="stable")]
    table = pd.Series(counts[by_activity], index=names[by_activity])
    size = int(len(table) * config.user_sample_fraction)
    return table.sample(n=size, random_state=config.seed).index


def sample_rows(ratings: pd.DataFrame, history_length: int) -> np.ndarray:
    """Rows of `ratings` forming each sample, [S, H + 1] (history oldest first, then target),
    in stream order: by target timestamp, ties by user first appearance, then user time order."""
    user_codes, _ = pd.factorize(ratings["user"])  # codes in order of first appearance
    timestamps = ratings["timestamp"].to_numpy()
    by_user_time = np.lexsort((timestamps, user_codes))  # stable: ties keep file line order
    sorted_users = user_codes[by_user_time]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_users)) + 1]
    rank = np.arange(len(sorted_users)) - np.repeat(
        starts, np.diff(np.r_[starts, len(sorted_users)])
    )
    targets = np.flatnonzero(rank >= history_length)  # positions in by_user_time
    targets = targets[np.argsort(timestamps[by_user_time[targets]], kind="stable")]
    window = targets[:, None] + np.arange(-history_length, 1)  # [S, H + 1]
    return by_user_time[window]


def assign_periods(
    timestamps: np.ndarray, config: StreamConfig, origin: str
) -> tuple[np.ndarray, np.ndarray]:
    """Which samples are kept (positions into `timestamps`) and their period 1..T."""
    total, num = len(timestamps), config.num_periods
    if config.period_mode == BY_COUNT:
        size = config.period_size if config.period_size is not None else total // num
        if total < num * size or size < 2:
            need = f"{num * max(size, 2):,}"
            raise InputError(
                f"too few samples: {total:,} samples, need {need} for {num} periods"
                + (f" of {size:,}" if config.period_size is not None else " of at least 2"),
                where=origin,
            )
        kept = np.arange(total - num * size, total)
        return kept, 1 + np.arange(num * size) // size
    start, end = config.time_edges_unix()
    # The reference compared each timestamp with start + i * (end - start) / T as floats.
    edges = start + np.arange(num + 1) * ((end - start) / num)
    bins = np.searchsorted(edges, timestamps, side="right") - 1
    kept = np.flatnonzero((bins >= 0) & (bins < num))
    counts = np.bincount(bins[kept], minlength=num)
    if counts.min() < 2:
        empty = int(np.argmin(counts))
        raise InputError(
            f"too few samples: period {empty + 1} of {num} "
            f"({config.time_start}..{config.time_end}) has {counts[empty]}, need at least 2",
            where=origin,
        )
    return kept, bins[kept] + 1


def sample_frame(
    ratings: pd.DataFrame,
    rows: np.ndarray,
    periods: np.ndarray,
    sample_ids: np.ndarray,
    config: StreamConfig,
) -> pd.DataFrame:
    """The samples table; `rows` [S, H + 1] are ratings rows, periods ascending."""
    user_codes, user_names = _codes(ratings["user"])
    item_codes, item_names = _codes(ratings["item"])
    rating = ratings["rating"].to_numpy()
    targets = rows[:, -1]
    history = rows[:, :-1]
    split = _splits(periods, config)
    frame = pd.DataFrame(
        {
            "sample_id": sample_ids.astype(np.int64),
            "period": periods.astype(np.int64),
            "split": pd.array(np.where(split, TRAIN, VAL), dtype="str"),
            "user": user_names[user_codes[targets]],
            "item": item_names[item_codes[targets]],
            "hist_items": pd.Series(list(item_names[item_codes[history]]), dtype=object),
            "hist_ratings": pd.Series(list(rating[history]), dtype=object),
            "rating": rating[targets],
            "label": (rating[targets] > POSITIVE_THRESHOLD).astype(np.int64),
            "timestamp": ratings["timestamp"].to_numpy()[targets],
        }
    )
    return frame.astype({"user": "str", "item": "str"})[list(SAMPLE_COLUMNS)]


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and an object array of the distinct strings: indexing the small array is
    much faster than materialising one Python string per row."""
    codes, names = pd.factorize(column)
    return codes, np.asarray(names, dtype=object)


def _splits(periods: np.ndarray, config: StreamConfig) -> np.ndarray:
    """True for train rows: the first int((1 - val_fraction) * n) of each period, as the
    reference's `data[:int(0.9 * data.shape[0])]`."""
    numbers, starts, counts = np.unique(periods, return_index=True, return_counts=True)
    train_counts = ((1.0 - config.val_fraction) * counts).astype(np.int64)
    if train_counts.min() < 1:
        at = int(np.argmin(train_counts))
        raise InputError(
            f"period {numbers[at]} has {counts[at]} samples: too few for a train part with "
            f"val_fraction {config.val_fraction}",
            where="val_fraction",
        )
    position = np.arange(len(periods)) - np.repeat(starts, counts)
    return position < np.repeat(train_counts, counts)
