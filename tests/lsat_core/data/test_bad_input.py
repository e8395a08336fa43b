"""Bad input gives one line naming the file and what is wrong, and leaves no cache behind."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from lsat_core.data.cache import get_or_build_stream
from lsat_core.data.sources.amazon import AmazonReviewsSource
from lsat_core.data.sources.grouplens import GroupLensSource
from lsat_core.data.sources.recbole_atomic import RecboleAtomicSource
from lsat_core.data.sources.tabular import ColumnMapping, TabularSource
from lsat_core.data.stream_config import StreamConfig
from lsat_core.errors import InputError

HEADER = "user,item,rating,timestamp\n"
GOOD = "".join(f"u,i{k},4,{1000 + k}\n" for k in range(12))


def csv_source(tmp_path: Path, text: str, columns: str = "") -> tuple[TabularSource, Path]:
    path = tmp_path / "ratings.csv"
    path.write_text(text)
    mapping = ColumnMapping.parse(columns) if columns else ColumnMapping()
    return TabularSource(path, mapping), path


def missing_csv(tmp_path):
    return TabularSource(tmp_path / "nope.csv"), tmp_path / "nope.csv"


def missing_column(tmp_path):
    return csv_source(
        tmp_path, HEADER + GOOD, "user=user,item=item,rating=stars,timestamp=timestamp"
    )


def bad_rating(tmp_path):
    return csv_source(tmp_path, HEADER + GOOD + "u,i99,five,2000\n")


def nan_rating(tmp_path):
    return csv_source(tmp_path, HEADER + "u,i0,nan,1000\n" + GOOD)


def empty_rating(tmp_path):
    return csv_source(tmp_path, HEADER + GOOD + "u,i99,,2000\n")


def bad_timestamp(tmp_path):
    return csv_source(tmp_path, HEADER + "u,i0,4,yesterday\n" + GOOD)


def fractional_timestamp(tmp_path):
    return csv_source(tmp_path, HEADER + "u,i0,4,1000.5\n" + GOOD)


def grouplens_bad_rating(tmp_path):
    (tmp_path / "ratings.dat").write_text("1::10::5::978300760\n1::20::x::978300761\n")
    (tmp_path / "movies.dat").write_text("10::A (1990)::Drama\n20::B (1991)::Drama\n")
    return GroupLensSource(tmp_path), tmp_path / "ratings.dat"


def grouplens_missing_movies(tmp_path):
    (tmp_path / "ratings.dat").write_text("1::10::5::978300760\n")
    return GroupLensSource(tmp_path), tmp_path / "movies.dat"


def grouplens_bad_zip(tmp_path):
    (tmp_path / "ml-1m.zip").write_bytes(b"not a zip")
    return GroupLensSource(tmp_path / "ml-1m.zip"), tmp_path / "ml-1m.zip"


def recbole_missing_column(tmp_path):
    inter, item = tmp_path / "ml-1m.inter", tmp_path / "ml-1m.item"
    inter.write_text("user_id:token\titem_id:token\ttimestamp:float\n1m_1\tA\t978300760\n")
    item.write_text("item_id:token\tmovie_title:token\nA\tA\n")
    return RecboleAtomicSource(inter, item), inter


def amazon_bad_rating(tmp_path):
    reviews, meta = tmp_path / "Books_5.json.gz", tmp_path / "meta_Books.json"
    with gzip.open(reviews, "wt") as handle:
        handle.write(json.dumps({"reviewerID": "A", "asin": "B", "overall": 5.0}) + "\n")
        handle.write(json.dumps({"reviewerID": "A", "asin": "B", "overall": "good"}) + "\n")
    meta.write_text(json.dumps({"asin": "B", "title": "T"}) + "\n")
    return AmazonReviewsSource(reviews, meta), reviews


def amazon_wrong_file(tmp_path):
    reviews, meta = tmp_path / "Books_5.json", tmp_path / "meta_Books.json"
    reviews.write_text(json.dumps({"user": "A", "asin": "B", "overall": 5.0}) + "\n")
    meta.write_text(json.dumps({"asin": "B", "title": "T"}) + "\n")
    return AmazonReviewsSource(reviews, meta), reviews


def parquet_text_rating(tmp_path):
    path = tmp_path / "r.parquet"
    frame = pd.DataFrame({"user": ["u", "u"], "item": ["a", "b"], "rating": ["4", "x"]})
    frame.assign(timestamp=[1, 2]).to_parquet(path)
    return TabularSource(path), path


def parquet_missing_column(tmp_path):
    path = tmp_path / "r.parquet"
    pd.DataFrame({"user": ["u"], "item": ["a"], "rating": [4.0]}).to_parquet(path)
    return TabularSource(path), path


def too_few_samples(tmp_path):
    return csv_source(tmp_path, HEADER + GOOD)  # 12 ratings: 2 samples for 20 periods


CASES = [
    (missing_csv, r"data file not found"),
    (missing_column, r"missing column 'stars' \(for rating\); columns in file: user, item, "),
    (bad_rating, r"column 'rating': 'five' in line 14 is not a finite number"),
    (nan_rating, r"column 'rating': 'nan' in line 2 is not a finite number"),
    (empty_rating, r"column 'rating': an empty value in line 14 is not a finite number"),
    (
        bad_timestamp,
        r"column 'timestamp': 'yesterday' in line 2 is not Unix seconds or an ISO date",
    ),
    (fractional_timestamp, r"column 'timestamp': 1000.5 in line 2 is not whole Unix seconds"),
    (grouplens_bad_rating, r"column 'rating': 'x' in line 2 is not a finite number"),
    (grouplens_missing_movies, r"data file not found"),
    (grouplens_bad_zip, r"not a zip archive"),
    (recbole_missing_column, r"missing column 'rating'"),
    (amazon_bad_rating, r"Column\(/overall\) changed from number to string on line 2"),
    (amazon_wrong_file, r"missing field 'reviewerID' in every record"),
    (parquet_text_rating, r"column 'rating': 'x' in row 2 is not a finite number"),
    (parquet_missing_column, r"missing column 'timestamp' \(for timestamp\)"),
    (too_few_samples, r"too few samples: 2 samples, need 40 for 20 periods of at least 2"),
]


@pytest.mark.parametrize(("make", "message"), CASES, ids=[case[0].__name__ for case in CASES])
def test_bad_input_is_one_line_naming_the_file_and_caches_nothing(tmp_path, make, message):
    source, culprit = make(tmp_path)
    cache_dir = tmp_path / "cache"
    with pytest.raises(InputError) as error:
        get_or_build_stream(source, StreamConfig(), cache_dir)
    text = str(error.value)
    assert "\n" not in text
    assert text.startswith(f"{culprit}: ")
    assert re.search(message, text), text
    leftovers = list((cache_dir / "streams").rglob("*")) if (cache_dir / "streams").exists() else []
    assert leftovers == []
