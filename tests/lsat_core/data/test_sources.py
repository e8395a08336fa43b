"""Each source on tiny files in its real format: same ratings, file order, titles, checksum."""

from __future__ import annotations

import zipfile

import pandas as pd
import pytest

from lsat_core.data.build import build_stream
from lsat_core.data.schema import ITEMS_COLUMNS, RATINGS_COLUMNS
from lsat_core.data.sources.amazon import AmazonReviewsSource
from lsat_core.data.sources.grouplens import GroupLensSource
from lsat_core.data.sources.recbole_atomic import TITLE_AND_YEAR, RecboleAtomicSource
from lsat_core.data.sources.tabular import ColumnMapping, TabularSource
from lsat_core.data.stream_config import StreamConfig

ROWS = [
    ("1", "10", 5.0, 978300760),
    ("2", "20", 3.0, 978302109),
    ("1", "20", 1.0, 978300760),
    ("3", "30", 4.0, 978301968),
]
TITLES = {"10": 'Bird "Charlie" (1988)', "20": "Amélie (2001)", "30": "City, The (1999)"}


def check_table(data, rows=ROWS, titles=TITLES):
    """Ratings in file order with schema dtypes; one title per item."""
    assert tuple(data.ratings.columns) == RATINGS_COLUMNS
    assert tuple(data.items.columns) == ITEMS_COLUMNS
    assert [tuple(r) for r in data.ratings.itertuples(index=False)] == rows
    assert data.ratings["timestamp"].dtype == "int64"
    assert data.ratings["rating"].dtype == "float64"
    assert data.ratings["user"].dtype == "str" and data.ratings["item"].dtype == "str"
    assert dict(zip(data.items["item"], data.items["title"], strict=True)) == titles
    assert len(data.checksum) == 64


def test_recbole_atomic_ml1m_item_ids_are_titles(tiny, tmp_path):
    inter, item = tiny.recbole(tmp_path, ROWS, TITLES)
    data = RecboleAtomicSource(inter, item).load()
    rows = [(u, TITLES[i], r, t) for u, i, r, t in ROWS]
    check_table(data, rows, {title: title for title in TITLES.values()})
    assert data.noun == "movie"


def test_recbole_atomic_ml100k_joins_title_and_year(tmp_path):
    inter, item = tmp_path / "ml-100k.inter", tmp_path / "ml-100k.item"
    inter.write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
        + "".join(f"{u}\t{i}\t{r:g}\t{t}\n" for u, i, r, t in ROWS)
    )
    item.write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        '10\tBird "Charlie"\t1988\tDrama\n20\tAmélie\t2001\tComedy\n30\tCity, The\t\tDrama\n'
        "40\tunkonwn\tunkonwn\tunknown\n"
    )
    data = RecboleAtomicSource(inter, item, title_style=TITLE_AND_YEAR).load()
    check_table(data, titles={**TITLES, "30": "City, The", "40": "unkonwn"})


@pytest.mark.parametrize("packed", [False, True])
def test_grouplens_ml1m_folder_and_zip_read_latin1(tiny, tmp_path, packed):
    folder = tiny.grouplens_1m(tmp_path / "ml-1m", ROWS, TITLES)
    path = folder
    if packed:
        path = tmp_path / "ml-1m.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for name in ("ratings.dat", "movies.dat"):
                archive.write(folder / name, f"ml-1m/{name}")
    check_table(GroupLensSource(path).load())


def test_grouplens_ml100k_layout(tmp_path):
    (tmp_path / "u.data").write_text("".join(f"{u}\t{i}\t{r:g}\t{t}\n" for u, i, r, t in ROWS))
    (tmp_path / "u.item").write_bytes(
        "".join(f"{i}|{t}|01-Jan-1995||http://x|0|1\n" for i, t in TITLES.items()).encode("latin-1")
    )
    check_table(GroupLensSource(tmp_path, layout="ml-100k").load())


def test_wheel_and_grouplens_copies_give_the_same_stream(tiny, tmp_path):
    rows = tiny.rows(3)
    titles = {item: f"Movie {item} (1990)" for item in {r[1] for r in rows}}
    recbole = RecboleAtomicSource(*tiny.recbole(tmp_path / "wheel", rows, titles)).load()
    grouplens = GroupLensSource(tiny.grouplens_1m(tmp_path / "gl", rows, titles)).load()
    config = StreamConfig(num_periods=2)
    a, b = build_stream(recbole, config), build_stream(grouplens, config)
    assert a.samples["item"].tolist() == [titles[i] for i in b.samples["item"]]
    assert a.samples["timestamp"].tolist() == b.samples["timestamp"].tolist()
    assert a.key != b.key  # other raw files, other reader: another cache entry


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_amazon_joins_titles_keeps_review_order_and_drops_untitled(tiny, tmp_path, suffix):
    reviews = [
        {"reviewerID": "A", "asin": "B2", "overall": 5.0, "unixReviewTime": 1400000000,
         "style": {"Format:": " Kindle"}, "reviewText": "fine"},
        {"reviewerID": "B", "asin": "B9", "overall": 4.0, "unixReviewTime": 1400000001},
        {"reviewerID": "A", "asin": "B1", "overall": 2.0, "unixReviewTime": 1300000000},
        {"reviewerID": "C", "asin": "B3", "overall": 3.0, "unixReviewTime": 1400000002},
        {"reviewerID": "C", "asin": "B1", "unixReviewTime": 1400000003},
    ]  # fmt: skip
    meta = [
        {"asin": "B1", "title": "First Book", "description": ["long"], "price": "$1"},
        {"asin": "B2", "title": "Second Book"},
        {"asin": "B1", "title": "First Book, again"},
        {"asin": "B3", "title": "  "},
        {"asin": "B4", "title": "Unrated"},
    ]
    source = AmazonReviewsSource(
        tiny.json_lines(tmp_path / f"Books_5.json{suffix}", reviews),
        tiny.json_lines(tmp_path / f"meta_Books.json{suffix}", meta),
    )
    data = source.load()
    assert [tuple(r) for r in data.ratings.itertuples(index=False)] == [
        ("A", "B2", 5.0, 1400000000),
        ("A", "B1", 2.0, 1300000000),
    ]
    assert dict(zip(data.items["item"], data.items["title"], strict=True)) == {
        "B1": "First Book",
        "B2": "Second Book",
        "B4": "Unrated",
    }
    assert data.noun == "book"


def test_csv_with_mapping_titles_and_date_strings(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "uid,iid,stars,when,name\n"
        'x,a,4,2001-02-03,"Dune, Part One"\n'
        "y,b,2.5,2001-02-03T04:05:06Z,Other\n"
        "x,b,1,2001-02-04 00:00:00,Other again\n"
    )
    columns = ColumnMapping.parse("user=uid,item=iid,rating=stars,timestamp=when,title=name")
    data = TabularSource(path, columns).load()
    assert data.ratings["timestamp"].tolist() == [981158400, 981173106, 981244800]
    assert data.ratings["rating"].tolist() == [4.0, 2.5, 1.0]
    assert dict(zip(data.items["item"], data.items["title"], strict=True)) == {
        "a": "Dune, Part One",
        "b": "Other",
    }


def test_parquet_with_datetime_column_and_no_titles(tmp_path):
    path = tmp_path / "mine.parquet"
    pd.DataFrame(
        {
            "u": [1, 2],
            "i": [7, 8],
            "r": [3, 5],
            "t": pd.to_datetime(["2001-02-03", "2001-02-04"]),
        }
    ).to_parquet(path)
    data = TabularSource(path, ColumnMapping("u", "i", "r", "t")).load()
    assert [tuple(r) for r in data.ratings.itertuples(index=False)] == [
        ("1", "7", 3.0, 981158400),
        ("2", "8", 5.0, 981244800),
    ]
    assert data.items["title"].tolist() == ["7", "8"]


def test_checksum_follows_the_file_content(tiny, tmp_path):
    folder = tiny.grouplens_1m(tmp_path, ROWS, TITLES)
    before = GroupLensSource(folder).checksum()
    assert GroupLensSource(folder).checksum() == before
    tiny.grouplens_1m(tmp_path, ROWS[:-1], TITLES)
    assert GroupLensSource(folder).checksum() != before
