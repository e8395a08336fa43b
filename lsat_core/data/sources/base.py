"""What every data source yields (`RatingsData`), the one interface a source offers
(`RatingsSource`), and the checks that turn raw columns into a ratings table with errors a user
can act on (one line naming the file, the column, the value and its line).
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from lsat_core.data.schema import ITEMS_COLUMNS, RATINGS_COLUMNS
from lsat_core.errors import InputError
from lsat_core.fetch import sha256_file


@dataclass(frozen=True, eq=False)
class RatingsData:
    """Ratings and titles read from one source, in the source file's line order."""

    ratings: pd.DataFrame
    """RATINGS_COLUMNS: user, item (str), rating (float64), timestamp (int64, Unix seconds)."""
    items: pd.DataFrame
    """ITEMS_COLUMNS: item, title (str), one row per item id."""
    checksum: str
    """SHA-256 over the raw files the data was read from."""
    noun: str
    """What an item is in a prompt: "movie", "book", ..."""
    source: str
    """Which reader and parse choices produced the data; part of a stream's cache key."""
    origin: str
    """Where the data was read from (a file or folder), for messages; not part of any key."""

    def __post_init__(self) -> None:
        if tuple(self.ratings.columns) != RATINGS_COLUMNS:
            raise ValueError(f"ratings columns {list(self.ratings.columns)} != {RATINGS_COLUMNS}")
        if tuple(self.items.columns) != ITEMS_COLUMNS:
            raise ValueError(f"items columns {list(self.items.columns)} != {ITEMS_COLUMNS}")


class RatingsSource(Protocol):
    """A dataset on disk in one format. `checksum` is cheap next to `load`, so a cached stream
    can be found without parsing the raw files."""

    def describe(self) -> str:
        """Format, paths-independent options (column mapping...) as one stable string."""
        ...

    def checksum(self) -> str:
        """SHA-256 over the raw files (missing files raise InputError)."""
        ...

    def load(self) -> RatingsData:
        """Parse the raw files; bad content raises InputError naming the file."""
        ...


def require_file(path: Path, what: str = "data file") -> Path:
    path = Path(path)
    if path.is_dir():
        raise InputError(f"a folder, not a {what}", where=path)
    if not path.is_file():
        raise InputError(f"{what} not found", where=path)
    return path


def files_checksum(paths: Iterable[Path]) -> str:
    """One SHA-256 over several files: the digest of their names and digests, in order."""
    digest = hashlib.sha256()
    for path in paths:
        path = require_file(path)
        digest.update(f"{path.name}:{sha256_file(path)}\n".encode())
    return digest.hexdigest()


def first_bad(parsed: pd.Series) -> int | None:
    """Position of the first value that did not parse (NaN after parsing), or None."""
    bad = np.flatnonzero(pd.isna(parsed).to_numpy())
    return int(bad[0]) if len(bad) else None


def bad_value_error(
    where: str | Path,
    column: str,
    raw: pd.Series,
    position: int,
    expected: str,
    line_of_row: int | None,
) -> InputError:
    """`line_of_row` is the file line of row 0 (2 below a header line, 1 without one); None for
    files without lines (Parquet), where the row number (from 1) is given instead."""
    value = raw.iloc[position]
    value = value.item() if isinstance(value, np.generic) else value
    shown = "an empty value" if pd.isna(value) or str(value).strip() == "" else repr(value)
    at = f"row {position + 1}" if line_of_row is None else f"line {position + line_of_row}"
    return InputError(f"column {column!r}: {shown} in {at} is not {expected}", where=where)


def parse_ratings(
    raw: pd.Series, *, where: str | Path, column: str, line_of_row: int | None
) -> np.ndarray:
    """Float ratings; the first non-numeric value is reported with its line."""
    parsed = pd.to_numeric(raw, errors="coerce").astype(np.float64)
    parsed = parsed.where(np.isfinite(parsed))  # "nan" and "inf" spelled out are no ratings
    position = first_bad(parsed)
    if position is not None:
        raise bad_value_error(where, column, raw, position, "a finite number", line_of_row)
    return parsed.to_numpy(dtype=np.float64)


def parse_timestamps(
    raw: pd.Series, *, where: str | Path, column: str, line_of_row: int | None
) -> np.ndarray:
    """Unix seconds (int64) from numbers, or from date strings / datetimes (naive = UTC)."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw.dt.tz_localize("UTC") if raw.dt.tz is None else raw.dt.tz_convert("UTC")
    else:
        numbers = pd.to_numeric(raw, errors="coerce")
        if first_bad(numbers) is None:
            return whole_seconds(
                numbers.to_numpy(dtype=np.float64), raw, where, column, line_of_row
            )
        parsed = pd.to_datetime(raw.astype(str), errors="coerce", utc=True, format="ISO8601")
    position = first_bad(parsed)
    if position is not None:
        raise bad_value_error(
            where, column, raw, position, "Unix seconds or an ISO date", line_of_row
        )
    return parsed.dt.as_unit("s").astype("int64").to_numpy()


SECONDS_RANGE = (pd.Timestamp.min.value // 10**9 + 1, pd.Timestamp.max.value // 10**9)
"""Unix seconds that pandas can show as dates (1677..2262); milliseconds of today fall outside."""


def whole_seconds(
    values: np.ndarray, raw: pd.Series, where: str | Path, column: str, line_of_row: int | None
) -> np.ndarray:
    """int64 seconds from float values that must be whole (MovieLens stores them as floats)."""
    fractional = np.flatnonzero(values != np.floor(values))
    if len(fractional):
        raise bad_value_error(
            where, column, raw, int(fractional[0]), "whole Unix seconds", line_of_row
        )
    low, high = SECONDS_RANGE
    outside = np.flatnonzero((values < low) | (values > high))
    if len(outside):
        raise bad_value_error(
            where,
            column,
            raw,
            int(outside[0]),
            "Unix seconds of the years 1677..2262 (milliseconds? divide by 1000)",
            line_of_row,
        )
    return values.astype(np.int64)


def read_ratings_text(
    source: Path | io.StringIO,
    *,
    where: str | Path,
    sep: str,
    columns: dict[str, str],
    names: list[str] | None = None,
    quoting: int = csv.QUOTE_NONE,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Read user, item, rating, timestamp from a delimited text file, quoting off.

    `columns` maps each RATINGS_COLUMNS name to the file's column (its header name, or one of
    `names` for a file without a header). The fast path lets the C parser read the numbers; when
    it fails we read everything as text once more to say which value on which line is bad.
    """
    header = names is None
    line_of_row = 2 if header else 1
    available = names if names is not None else _header(source, where, sep, quoting, encoding)
    missing = [f"{name!r} (for {role})" for role, name in columns.items() if name not in available]
    if missing:
        raise InputError(
            f"missing column {', '.join(missing)}; columns in file: {', '.join(available)}",
            where=where,
        )
    read = functools.partial(
        read_text_table,
        source,
        where=where,
        sep=sep,
        quoting=quoting,
        names=names,
        usecols=list(columns.values()),
        encoding=encoding,
    )
    dtypes = {columns["user"]: "str", columns["item"]: "str"}
    try:
        frame = read(
            dtype={**dtypes, columns["rating"]: "float64", columns["timestamp"]: "float64"}
        )
        rating = frame[columns["rating"]].to_numpy(dtype=np.float64)
        if not np.isfinite(rating).all():
            raise ValueError("a rating reads as NaN or infinity")  # the text path says where
        timestamp = whole_seconds(
            frame[columns["timestamp"]].to_numpy(dtype=np.float64),
            frame[columns["timestamp"]],
            where,
            columns["timestamp"],
            line_of_row,
        )
    except ValueError:
        frame = read(dtype="str")
        rating = parse_ratings(
            frame[columns["rating"]], where=where, column=columns["rating"], line_of_row=line_of_row
        )
        timestamp = parse_timestamps(
            frame[columns["timestamp"]],
            where=where,
            column=columns["timestamp"],
            line_of_row=line_of_row,
        )
    return ratings_frame(frame[columns["user"]], frame[columns["item"]], rating, timestamp)


def _header(
    source: Path | io.StringIO, where: str | Path, sep: str, quoting: int, encoding: str
) -> list[str]:
    table = read_text_table(
        source, where=where, sep=sep, quoting=quoting, nrows=0, encoding=encoding
    )
    return list(table.columns)


def read_text_table(
    source: Path | io.StringIO,
    *,
    where: str | Path | None = None,
    quoting: int = csv.QUOTE_NONE,
    **kwargs: Any,
) -> pd.DataFrame:
    """pandas.read_csv with our defaults (quoting off, no NA guessing) and one-line errors.

    Quoting is off by default: MovieLens titles hold quote characters that are not CSV quoting.
    Nothing is read as missing ("NA", "null" are titles like any other).
    """
    place = where if where is not None else str(source)
    if isinstance(source, io.StringIO):
        source.seek(0)
    try:
        return pd.read_csv(source, quoting=quoting, keep_default_na=False, engine="c", **kwargs)
    except FileNotFoundError as exc:
        raise InputError("data file not found", where=place) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError("the file is empty (not even a header line)", where=place) from exc
    except UnicodeDecodeError as exc:
        encoding = kwargs.get("encoding") or "utf-8"
        if not isinstance(source, Path):
            raise InputError(f"not valid {encoding} ({exc.reason})", where=place) from exc
        raise InputError(undecodable(source, encoding), where=place) from exc
    except pd.errors.ParserError as exc:
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot parse: {message}", where=place) from exc


def undecodable(path: Path, encoding: str, chunk_bytes: int = 1 << 20) -> str:
    """Where `path` stops being valid `encoding`, for a message (pandas' own message counts from
    the start of one of its buffers). Reads the file in chunks: memory stays bounded."""
    decode = codecs.getdecoder(encoding)
    offset, lines, pending = 0, 1, b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_bytes)
            data, final = pending + chunk, not chunk
            try:
                decode(data, "strict")
                pending = b""
            except UnicodeDecodeError as exc:
                if not final and exc.end == len(data):  # a character cut by the chunk's end
                    pending = data[exc.start :]
                else:
                    at = offset + exc.start
                    line = lines + data[: exc.start].count(b"\n")
                    return (
                        f"not valid {encoding}: byte 0x{data[exc.start]:02x} at offset {at:,} "
                        f"(line {line}); give the file's encoding (--encoding, e.g. latin-1 "
                        "or cp1252)"
                    )
            consumed = len(data) - len(pending)
            lines += data[:consumed].count(b"\n")
            offset += consumed
            if final:
                return f"not valid {encoding}"


def ratings_frame(
    user: pd.Series, item: pd.Series, rating: np.ndarray, timestamp: np.ndarray
) -> pd.DataFrame:
    """The ratings table in schema order and dtypes (ids as strings, row order kept)."""
    return pd.DataFrame(
        {
            "user": user.astype("str").reset_index(drop=True),
            "item": item.astype("str").reset_index(drop=True),
            "rating": np.asarray(rating, dtype=np.float64),
            "timestamp": np.asarray(timestamp, dtype=np.int64),
        }
    )


def items_frame(item: pd.Series, title: pd.Series) -> pd.DataFrame:
    """One title per item id (the first one listed wins), as strings."""
    frame = pd.DataFrame(
        {
            "item": item.astype("str").reset_index(drop=True),
            "title": title.astype("str").reset_index(drop=True),
        }
    )
    return frame.drop_duplicates("item", keep="first").reset_index(drop=True)
