"""Property-based tests of the stream builder (docs/method.md section 1) and the data loaders (round
trips).

The builder is checked against a plain-Python reading of docs/method.md section 1 on random small
rating tables with many timestamp ties; the loaders by writing random tables in each format and
reading them back. Examples stay small so the module runs in well under a minute.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lsat_core.data.build import build_stream
from lsat_core.data.schema import POSITIVE_THRESHOLD, TRAIN, VAL
from lsat_core.data.sources.base import SECONDS_RANGE, RatingsData
from lsat_core.data.sources.grouplens import GroupLensSource
from lsat_core.data.sources.tabular import ColumnMapping, TabularSource
from lsat_core.data.stream_config import StreamConfig
from lsat_core.errors import InputError

FAST = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FAST_FEW = settings(FAST, max_examples=30)
"""Tests that build three streams an example."""
HISTORY = 3
PERIODS = 2

Row = tuple[str, str, float, int]

rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(["u0", "u1", "u2", "u3"]),
        st.sampled_from([f"i{k}" for k in range(8)]),
        st.integers(1, 10).map(lambda k: k / 2),  # 0.5 .. 5.0, on both sides of the threshold
        st.integers(0, 6),  # few distinct timestamps: many ties
    ),
    min_size=12,
    max_size=60,
)


def data_of(rows: list[Row]) -> RatingsData:
    ratings = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]).astype(
        {"user": "str", "item": "str", "rating": "float64", "timestamp": "int64"}
    )
    items = pd.DataFrame({"item": [f"i{k}" for k in range(8)]})
    items["title"] = "Title " + items["item"]
    return RatingsData(ratings, items, "0" * 64, "movie", "test", "memory")


def build(rows: list[Row], periods: int = PERIODS) -> pd.DataFrame:
    config = StreamConfig(num_periods=periods, history_length=HISTORY)
    try:
        return build_stream(data_of(rows), config).samples
    except InputError as exc:
        assume("too few samples" not in str(exc))
        raise


def reference_samples(rows: list[Row]) -> list[tuple]:
    """docs/method.md section 1 read literally: per user, ratings in time order (ties: file order);
    each with HISTORY earlier ones is a sample; samples ordered by target time (stable), starting
    from users in order of first appearance and each user's time order."""
    users = list(dict.fromkeys(row[0] for row in rows))
    samples = []
    for user in users:
        mine = sorted((row for row in rows if row[0] == user), key=lambda row: row[3])
        for k in range(HISTORY, len(mine)):
            history = mine[k - HISTORY : k]
            target = mine[k]
            samples.append(
                (
                    user,
                    target[1],
                    tuple(row[1] for row in history),
                    tuple(row[2] for row in history),
                    target[2],
                    target[3],
                )
            )
    return sorted(samples, key=lambda sample: sample[5])


def as_tuples(samples: pd.DataFrame) -> list[tuple]:
    return [
        (s.user, s.item, tuple(s.hist_items), tuple(s.hist_ratings), s.rating, s.timestamp)
        for s in samples.itertuples()
    ]


@FAST
@given(rows_strategy)
def test_the_stream_is_the_method_read_literally(rows: list[Row]) -> None:
    samples = build(rows)
    expected = reference_samples(rows)
    size = len(expected) // PERIODS
    kept = expected[len(expected) - PERIODS * size :]
    assert as_tuples(samples) == kept
    # Periods: disjoint, consecutive, equal, the oldest remainder dropped; ids are positions.
    assert samples["period"].tolist() == [1 + k // size for k in range(PERIODS * size)]
    assert samples["sample_id"].tolist() == list(
        range(len(expected) - PERIODS * size, len(expected))
    )
    assert (samples["label"] == (samples["rating"] > POSITIVE_THRESHOLD)).all()
    for _, part in samples.groupby("period"):
        train = int(0.9 * len(part))
        assert part["split"].tolist() == [TRAIN] * train + [VAL] * (len(part) - train)


@FAST
@given(rows_strategy)
def test_a_history_holds_only_earlier_interactions_of_the_same_user(rows: list[Row]) -> None:
    samples = build(rows)
    by_user: dict[str, list[Row]] = {}
    for row in rows:
        by_user.setdefault(row[0], []).append(row)
    for sample in samples.itertuples():
        mine = by_user[sample.user]
        earlier = [(row[1], row[2]) for row in mine if row[3] <= sample.timestamp]
        for pair in zip(sample.hist_items, sample.hist_ratings, strict=True):
            assert pair in earlier
    assert samples["timestamp"].is_monotonic_increasing


@FAST_FEW
@given(rows_strategy, st.randoms(use_true_random=False))
def test_build_is_deterministic_and_ties_keep_file_order(
    rows: list[Row], rng: random.Random
) -> None:
    """Rows may come in any order as long as rows with equal timestamps keep theirs (the builder's
    tie rule): each user's samples are then the same, in the same order."""
    original = build(rows, periods=1)  # one period: every sample is kept
    pd.testing.assert_frame_equal(original, build(rows, periods=1))  # deterministic
    # A shuffle that moves whole timestamp groups, never reordering rows within a group.
    ranks = {t: rng.random() for t in sorted({row[3] for row in rows})}
    shuffled = [row for _, row in sorted(enumerate(rows), key=lambda p: (ranks[p[1][3]], p[0]))]
    everything = as_tuples(build(shuffled, periods=1))
    original_tuples = as_tuples(original)
    for user in {row[0] for row in rows}:
        mine = [s for s in original_tuples if s[0] == user]
        assert [s for s in everything if s[0] == user] == mine


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["u0", "u1", "u2"]),
            st.sampled_from([f"i{k}" for k in range(8)]),
            st.integers(1, 10).map(lambda k: k / 2),
        ),
        min_size=12,
        max_size=40,
    ),
    st.randoms(use_true_random=False),
)
def test_with_distinct_timestamps_the_row_order_does_not_matter(
    triples: list[tuple[str, str, float]], rng: random.Random
) -> None:
    rows = [(*triple, 1000 + k) for k, triple in enumerate(triples)]
    shuffled = list(rows)
    rng.shuffle(shuffled)
    pd.testing.assert_frame_equal(build(rows), build(shuffled))


# -- loaders: write a random table, read it back ----------------------------------------------

# Ids and titles of any printable text a CSV can quote (commas, quotes, spaces, accents).
text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8
)
seconds = st.integers(*SECONDS_RANGE)
table_strategy = st.lists(
    st.tuples(text, text, st.integers(0, 10).map(lambda k: k / 2), seconds, text),
    min_size=1,
    max_size=30,
)


def expected_frames(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp", "title"])
    ratings = frame[["user", "item", "rating", "timestamp"]].astype(
        {"rating": "float64", "timestamp": "int64"}
    )
    items = frame.drop_duplicates("item")[["item", "title"]].reset_index(drop=True)
    return ratings, items


@FAST
@given(table_strategy, st.sampled_from(["csv", "tsv", "parquet"]))
def test_a_tabular_file_reads_back_what_was_written(tmp_path: Path, rows, file_format) -> None:
    ratings, items = expected_frames(rows)
    path = tmp_path / f"ratings.{file_format}"
    written = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp", "title"])
    if file_format == "parquet":
        written.to_parquet(path)
    else:
        sep = "," if file_format == "csv" else "\t"
        written.to_csv(path, index=False, sep=sep, quoting=csv.QUOTE_MINIMAL)
    data = TabularSource(path, ColumnMapping(title="title")).load()
    pd.testing.assert_frame_equal(data.ratings, ratings, check_dtype=False)
    pd.testing.assert_frame_equal(data.items, items, check_dtype=False)
    assert all(pd.api.types.is_string_dtype(data.ratings[c]) for c in ("user", "item"))
    assert data.ratings.dtypes[["rating", "timestamp"]].tolist() == ["float64", "int64"]


# GroupLens ML-1M lines are `::`-separated without quoting: ids are numbers and a title holds
# no `:` next to the separator, no tab or line break (Latin-1, as the files are).
latin1_title = st.text(
    alphabet=st.characters(codec="latin-1", exclude_categories=("Cc",), exclude_characters=":"),
    min_size=1,
    max_size=12,
)
grouplens_strategy = st.lists(
    st.tuples(
        st.integers(1, 6040).map(str),
        st.integers(1, 3952).map(str),
        st.integers(1, 5).map(float),
        st.integers(0, 2**31 - 1),
    ),
    min_size=1,
    max_size=30,
)


@FAST
@given(grouplens_strategy, st.lists(latin1_title, min_size=1, max_size=8))
def test_a_grouplens_folder_reads_back_what_was_written(tmp_path: Path, rows, titles) -> None:
    folder = tmp_path / "ml-1m"
    folder.mkdir(exist_ok=True)
    movies = {item: titles[int(item) % len(titles)] for item in dict.fromkeys(r[1] for r in rows)}
    (folder / "ratings.dat").write_bytes(
        "".join(f"{u}::{i}::{r:g}::{t}\n" for u, i, r, t in rows).encode("latin-1")
    )
    (folder / "movies.dat").write_bytes(
        "".join(f"{i}::{title}::Drama|Comedy\n" for i, title in movies.items()).encode("latin-1")
    )
    data = GroupLensSource(folder).load()
    ratings = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])
    pd.testing.assert_frame_equal(data.ratings, ratings, check_dtype=False)
    assert dict(zip(data.items["item"], data.items["title"], strict=True)) == movies
    assert np.array_equal(data.ratings["timestamp"].to_numpy(), [r[3] for r in rows])
