"""Built streams on disk: `cache_dir/streams/<key>/` holds samples.parquet, items.parquet and
meta.json (config, checksum, source, counts), so a stream is built once per config and raw files.

The folder is written whole under a temporary name and renamed into place, so a reader never
sees a half-written stream and a failed build leaves nothing behind. A cached stream that does
not read back (truncated file, foreign content) is an InputError naming the file, with the fix:
delete the folder and the next call rebuilds it. We do not rebuild silently: a cache that
breaks is worth knowing about.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lsat_core.configs import config_from_dict, config_to_dict
from lsat_core.data.build import build_stream
from lsat_core.data.schema import ITEMS_COLUMNS, SAMPLE_COLUMNS
from lsat_core.data.sources.base import RatingsSource
from lsat_core.data.stream import STREAM_FORMAT_VERSION, Stream, stream_key
from lsat_core.data.stream_config import StreamConfig
from lsat_core.errors import ConfigError, InputError

SAMPLES_FILE = "samples.parquet"
ITEMS_FILE = "items.parquet"
META_FILE = "meta.json"
HISTORY_COLUMNS = ("hist_items", "hist_ratings")
DICTIONARY_COLUMNS = ("split", "user", "item", "hist_items.list.element")

StatusSink = Callable[[str], None]
"""progress(message): one line per step of getting a stream (hashing, reading, building)."""


def no_progress(message: str) -> None:
    """Default progress callback: say nothing."""


def streams_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / "streams"


def get_or_build_stream(
    source: RatingsSource,
    config: StreamConfig,
    cache_dir: Path,
    progress: StatusSink = no_progress,
) -> Stream:
    """The stream of `source` under `config`: read from the cache, else built and cached."""
    progress("hashing the raw files")
    key = stream_key(config, source.checksum(), source.describe())
    cached = load_cached_stream(cache_dir, key)
    if cached is not None:
        progress(f"read the cached stream {key}")
        return cached
    progress("reading the ratings")
    data = source.load()
    progress(f"building the stream from {len(data.ratings):,} ratings")
    stream = build_stream(data, config)
    progress(f"caching the stream as {key}")
    save_stream(stream, cache_dir)
    return stream


def save_stream(stream: Stream, cache_dir: Path) -> Path:
    """Write the stream under its key (atomically); an existing copy is kept as is."""
    final = streams_dir(cache_dir) / stream.key
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{stream.key}-"))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache is shared like any other folder
        pq.write_table(_samples_table(stream.samples), tmp / SAMPLES_FILE)
        pq.write_table(pa.Table.from_pandas(stream.items, preserve_index=False), tmp / ITEMS_FILE)
        (tmp / META_FILE).write_text(json.dumps(_meta(stream), indent=2))
        try:
            os.replace(tmp, final)
        except OSError:
            if not final.exists():  # a concurrent writer putting the same stream is fine
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def load_cached_stream(cache_dir: Path, key: str) -> Stream | None:
    """The cached stream of `key`, None when there is none; InputError when it is damaged."""
    folder = streams_dir(cache_dir) / key
    if not folder.is_dir():
        return None
    meta = _read_meta(folder / META_FILE, key)
    samples = _read_samples(folder / SAMPLES_FILE, meta["num_samples"])
    items = _read_parquet(folder / ITEMS_FILE, ITEMS_COLUMNS)
    try:
        config = config_from_dict(StreamConfig, meta["config"])
    except (ValueError, TypeError, ConfigError) as exc:
        raise _damaged(folder / META_FILE, f"bad config ({_first_line(exc)})") from exc
    stream = Stream(
        samples=samples,
        items=items,
        config=config,
        checksum=meta["checksum"],
        source=meta["source"],
        noun=meta["noun"],
    )
    if stream.key != key:
        raise _damaged(folder / META_FILE, f"its config and checksum hash to {stream.key}")
    return stream


def _meta(stream: Stream) -> dict[str, Any]:
    return {
        "format_version": STREAM_FORMAT_VERSION,
        "key": stream.key,
        "config": config_to_dict(stream.config),
        "checksum": stream.checksum,
        "source": stream.source,
        "noun": stream.noun,
        "num_samples": len(stream.samples),
    }


def _samples_table(samples: pd.DataFrame) -> pa.Table:
    """Histories as fixed-size lists (one width for the whole stream)."""
    columns = {}
    for name in SAMPLE_COLUMNS:
        if name in HISTORY_COLUMNS:
            values = np.stack(samples[name].to_numpy())  # [S, H]
            flat = pa.array(values.ravel(), type=pa.string() if name == "hist_items" else None)
            columns[name] = pa.FixedSizeListArray.from_arrays(flat, values.shape[1])
        else:
            columns[name] = pa.array(samples[name])
    return pa.table(columns)


def _read_meta(path: Path, key: str) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise _damaged(path, f"cannot read ({exc.__class__.__name__}: {_first_line(exc)})") from exc
    expected = {"format_version", "key", "config", "checksum", "source", "noun", "num_samples"}
    if not isinstance(meta, dict) or not expected <= set(meta):
        raise _damaged(path, "not a stream description")
    if meta["key"] != key or meta["format_version"] != STREAM_FORMAT_VERSION:
        raise _damaged(path, f"describes stream {meta['key']} (format {meta['format_version']})")
    return meta


def _read_samples(path: Path, num_samples: int) -> pd.DataFrame:
    # Strings read as dictionaries: a few thousand distinct ids instead of 2M string objects
    # make the cached ML-1M stream load in a fraction of a second.
    table = _read_table(path, SAMPLE_COLUMNS, dictionaries=DICTIONARY_COLUMNS)
    if table.num_rows != num_samples:
        raise _damaged(path, f"{table.num_rows:,} samples where {num_samples:,} were written")
    columns = {}
    for name in SAMPLE_COLUMNS:
        column = table.column(name).combine_chunks()
        if name in HISTORY_COLUMNS:
            columns[name] = _rows_of_lists(column)
        elif pa.types.is_dictionary(column.type):
            columns[name] = column.dictionary_decode().to_pandas()
        else:
            columns[name] = column.to_pandas()
    return pd.DataFrame(columns)


def _rows_of_lists(lists: pa.FixedSizeListArray) -> pd.Series:
    """One numpy array per row (the form pyarrow's own conversion gives, built faster)."""
    flat = lists.flatten()
    if pa.types.is_dictionary(flat.type):
        names = np.asarray(flat.dictionary.to_pylist(), dtype=object)
        values = names[flat.indices.to_numpy()]
    else:
        values = flat.to_numpy()
    return pd.Series(list(values.reshape(-1, lists.type.list_size)), dtype=object)


def _read_parquet(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    return _read_table(path, columns).to_pandas()


def _read_table(
    path: Path, columns: tuple[str, ...], dictionaries: tuple[str, ...] = ()
) -> pa.Table:
    try:
        table = pq.read_table(path, read_dictionary=list(dictionaries))
    except (OSError, pa.ArrowException) as exc:
        raise _damaged(path, f"cannot read ({_first_line(exc)})") from exc
    if tuple(table.column_names) != columns:
        raise _damaged(path, f"columns {table.column_names}, expected {list(columns)}")
    return table


def _damaged(path: Path, what: str) -> InputError:
    return InputError(
        f"damaged stream cache: {what}; delete {path.parent} and it will be rebuilt", where=path
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
