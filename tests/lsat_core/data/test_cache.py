from __future__ import annotations

import dataclasses
import json
import shutil

import pandas as pd
import pytest

from lsat_core.data.cache import (
    META_FILE,
    SAMPLES_FILE,
    get_or_build_stream,
    save_stream,
    streams_dir,
)
from lsat_core.data.sources.grouplens import GroupLensSource
from lsat_core.data.stream_config import StreamConfig
from lsat_core.errors import InputError

CONFIG = StreamConfig(num_periods=4)


class CountingSource:
    """A real source that counts how often its raw files are parsed."""

    def __init__(self, inner: GroupLensSource) -> None:
        self.inner = inner
        self.loads = 0

    def describe(self) -> str:
        return self.inner.describe()

    def checksum(self) -> str:
        return self.inner.checksum()

    def load(self):
        self.loads += 1
        return self.inner.load()


@pytest.fixture
def source(tiny, tmp_path):
    rows = tiny.rows(7, users=20)
    titles = {item: f"Film {item} (2000)" for item in {r[1] for r in rows}}
    return CountingSource(GroupLensSource(tiny.grouplens_1m(tmp_path / "raw", rows, titles)))


def test_a_built_stream_is_cached_and_read_back_identical(source, tmp_path):
    cache = tmp_path / "cache"
    built = get_or_build_stream(source, CONFIG, cache)
    again = get_or_build_stream(source, CONFIG, cache)
    assert source.loads == 1
    pd.testing.assert_frame_equal(again.samples, built.samples)
    pd.testing.assert_frame_equal(again.items, built.items)
    assert (again.key, again.config, again.checksum, again.noun, again.source) == (
        built.key,
        built.config,
        built.checksum,
        built.noun,
        built.source,
    )
    assert [p.name for p in streams_dir(cache).iterdir()] == [built.key]  # no temporary left
    meta = json.loads((streams_dir(cache) / built.key / META_FILE).read_text())
    assert meta["config"]["num_periods"] == 4 and meta["checksum"] == built.checksum


def test_another_config_or_other_raw_files_is_another_entry(source, tmp_path):
    cache = tmp_path / "cache"
    first = get_or_build_stream(source, CONFIG, cache)
    second = get_or_build_stream(source, dataclasses.replace(CONFIG, val_fraction=0.2), cache)
    assert second.key != first.key and source.loads == 2
    with open(tmp_path / "raw" / "ratings.dat", "a") as ratings:
        ratings.write("u0::i0::5::2000000\n")
    third = get_or_build_stream(source, CONFIG, cache)
    assert third.checksum != first.checksum and third.key not in (first.key, second.key)
    assert source.loads == 3


def test_saving_an_existing_stream_keeps_the_first_copy(source, tmp_path):
    cache = tmp_path / "cache"
    stream = get_or_build_stream(source, CONFIG, cache)
    folder = streams_dir(cache) / stream.key
    stamp = (folder / SAMPLES_FILE).stat().st_mtime_ns
    assert save_stream(stream, cache) == folder
    assert (folder / SAMPLES_FILE).stat().st_mtime_ns == stamp


@pytest.mark.parametrize(
    ("name", "damage", "message"),
    [
        ("samples.parquet", lambda p: p.write_bytes(p.read_bytes()[:100]), "cannot read"),
        ("items.parquet", lambda p: p.write_bytes(b""), "cannot read"),
        ("meta.json", lambda p: p.write_text("{"), "cannot read"),
        ("meta.json", lambda p: p.write_text("[]"), "not a stream description"),
        (
            "meta.json",
            lambda p: p.write_text(p.read_text().replace('"count"', '"weekly"')),
            "bad config (period_mode: unknown mode 'weekly'",
        ),
        (
            "meta.json",
            lambda p: p.write_text(p.read_text().replace('"num_samples": ', '"num_samples": 1')),
            "samples where",
        ),
    ],
)
def test_a_damaged_cache_is_one_line_naming_the_file_and_the_fix(
    source, tmp_path, name, damage, message
):
    cache = tmp_path / "cache"
    stream = get_or_build_stream(source, CONFIG, cache)
    folder = streams_dir(cache) / stream.key
    damage(folder / name)
    with pytest.raises(InputError) as error:
        get_or_build_stream(source, CONFIG, cache)
    text = str(error.value)
    assert "\n" not in text and message in text
    expected_file = folder / (SAMPLES_FILE if message == "samples where" else name)
    assert text.startswith(f"{expected_file}: damaged stream cache")
    assert text.endswith(f"delete {folder} and it will be rebuilt")
    shutil.rmtree(folder)
    rebuilt = get_or_build_stream(source, CONFIG, cache)
    pd.testing.assert_frame_equal(rebuilt.samples, stream.samples)
