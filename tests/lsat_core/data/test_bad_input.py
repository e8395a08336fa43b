"""Bad input gives one line naming the file and what is wrong, and leaves no cache behind."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from lsat_core.data.cache import get_or_build_stream
from lsat_core.data.prompts import build_prompts
from lsat_core.data.sources.amazon import AmazonReviewsSource
from lsat_core.data.sources.base import undecodable
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


def parquet_frame(tmp_path, **columns):
    path = tmp_path / "r.parquet"
    base = {"user": ["u", "u"], "item": ["a", "b"], "rating": [4.0, 5.0], "timestamp": [1, 2]}
    pd.DataFrame(base | columns).to_parquet(path)
    return TabularSource(path), path


def parquet_bool_rating(tmp_path):
    return parquet_frame(tmp_path, rating=[True, False])


def parquet_list_item(tmp_path):
    return parquet_frame(tmp_path, item=[[1, 2], [3]])


def parquet_float_user(tmp_path):
    return parquet_frame(tmp_path, user=[1.0, 2.0])


def parquet_bytes_user(tmp_path):
    return parquet_frame(tmp_path, user=[b"\xff", b"u"])


def parquet_folder(tmp_path):
    (tmp_path / "r.parquet").mkdir()
    return TabularSource(tmp_path / "r.parquet"), tmp_path / "r.parquet"


def huge_timestamp(tmp_path):
    return csv_source(tmp_path, HEADER + GOOD + "u,i99,4,1e30\n")


def millisecond_timestamp(tmp_path):
    return csv_source(tmp_path, HEADER + GOOD + "u,i99,4,978300760000000\n")


def empty_file(tmp_path):
    return csv_source(tmp_path, "")


def header_only(tmp_path):
    return csv_source(tmp_path, HEADER)


def latin1_bytes(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_bytes((HEADER + GOOD + "u,Caf\xe9,4,2000\n").encode("latin-1"))
    return TabularSource(path), path


def utf16_file(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_bytes((HEADER + GOOD).encode("utf-16"))
    return TabularSource(path), path


def too_big(tmp_path):
    _, path = csv_source(tmp_path, HEADER + GOOD * 100)
    return TabularSource(path, max_bytes=1000), path


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
    (parquet_bool_rating, r"column 'rating' \(rating\) holds bool; expected numbers"),
    (parquet_list_item, r"column 'item' \(item\) holds list<element: int64>; expected text or"),
    (parquet_float_user, r"column 'user' \(user\) holds double; expected text or integer ids"),
    (parquet_bytes_user, r"column 'user' \(user\) holds binary; expected text or integer ids"),
    (parquet_folder, r": a folder, not a data file$"),
    (huge_timestamp, r"column 'timestamp': 1e\+30 in line 14 is not Unix seconds of the years"),
    (millisecond_timestamp, r"in line 14 is not Unix seconds .* \(milliseconds\? divide by 1000\)"),
    (empty_file, r": the file is empty$"),
    (header_only, r": no ratings in the file$"),
    # 27 bytes of header, 10 lines of 12 bytes and 2 of 13, then "u,Caf": 5 bytes.
    (latin1_bytes, r"not valid utf-8: byte 0xe9 at offset 178 \(line 14\); give the file's enc"),
    (utf16_file, r"not valid utf-8: byte 0xff at offset 0 \(line 1\)"),
    (
        too_big,
        r": 14,627 bytes is over the limit of 1,000 bytes for a ratings file \(LSAT_MAX_DATA",
    ),
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


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", '=HYPERLINK("http://x")']


def test_formula_like_cells_are_kept_as_plain_text(tmp_path):
    """Nothing in a file is evaluated: a title that a spreadsheet would run is a title."""
    lines = ["user,item,rating,timestamp,title"]
    lines += [
        f'{FORMULAS[k % 5]},i{k % 5},4,{1000 + k},"{FORMULAS[k % 5].replace(chr(34), 2 * chr(34))}"'
        for k in range(60)
    ]
    path = tmp_path / "formulas.csv"
    path.write_text("\n".join(lines) + "\n")
    source = TabularSource(path, ColumnMapping.parse("title=title"))
    data = source.load()
    assert sorted(set(data.ratings["user"])) == sorted(FORMULAS)
    assert dict(zip(data.items["item"], data.items["title"], strict=True)) == {
        f"i{k}": FORMULAS[k] for k in range(5)
    }
    stream = get_or_build_stream(source, StreamConfig(num_periods=2), tmp_path / "cache")
    titles = stream.items.set_index("item")["title"]
    prompt = build_prompts(stream.samples.head(1), titles, "item")[0]
    target = stream.samples["item"].iloc[0]
    assert f'"{FORMULAS[int(target.removeprefix("i"))]}"' in prompt


def test_duplicate_rows_are_kept_as_interactions(tmp_path):
    """Each line is one interaction (the reference does not de-duplicate either)."""
    source, _ = csv_source(tmp_path, HEADER + GOOD + GOOD)
    data = source.load()
    assert len(data.ratings) == 24
    stream = get_or_build_stream(source, StreamConfig(num_periods=2), tmp_path / "cache")
    # 24 ratings of one user, 10 of history each: 14 samples; the first history holds each of
    # the items i0..i4 twice (the two copies share a timestamp and keep file order).
    assert len(stream.samples) == 14
    first = stream.samples.iloc[0]
    assert list(first["hist_items"]) == [f"i{k // 2}" for k in range(10)]


def test_a_latin1_file_reads_with_its_encoding_and_keys_its_stream_apart(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_bytes((HEADER + GOOD + "u,Café,4,2000\n").encode("latin-1"))
    plain = TabularSource(path)
    latin1 = TabularSource(path, encoding="latin-1")
    assert latin1.load().ratings["item"].iloc[-1] == "Café"
    assert (
        plain.describe() == "tabular:csv:user=user,item=item,rating=rating,timestamp=timestamp:item"
    )
    assert latin1.describe() == plain.describe() + ":latin-1"


def test_the_first_bad_byte_is_found_across_chunk_boundaries(tmp_path):
    """A character cut by a chunk's end is no error; the offset counts from the file's start."""
    path = tmp_path / "x.csv"
    path.write_bytes("é€\nab\n".encode() + b"c\xff")
    for chunk_bytes in (1, 2, 3, 1 << 20):
        message = undecodable(path, "utf-8", chunk_bytes=chunk_bytes)
        assert message.startswith("not valid utf-8: byte 0xff at offset 10 (line 3)"), message
