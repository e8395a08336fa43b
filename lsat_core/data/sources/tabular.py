"""A user's own ratings file: CSV (or tab-separated) or Parquet, with a column mapping.

Timestamps may be Unix seconds or dates ("2001-02-03", "2001-02-03T04:05:06Z"; naive = UTC).
Titles come from an optional title column (the first title seen for an item wins); without
one, the item id is the title.

What a file holds is taken as data, never interpreted: a title such as `=cmd|' /C calc'!A0` is
that text in a prompt. Duplicate rows are kept: each line is one interaction, as in the
reference (a user who rates an item twice has both in their history). Rows need not be in time
order: the stream builder sorts them stably, so rows with equal timestamps keep file order.

A text file is read as `encoding` (UTF-8 unless given); a byte that does not decode is reported
with its offset and line. A file larger than `max_bytes` is refused before it is read: building
a stream holds about 24 times the CSV's size in memory (measured: a 105 MB, 4M-rating CSV peaked
at 2.5 GB), so a 1 GB file would need some 25 GB.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lsat_core.data.sources.base import (
    RatingsData,
    files_checksum,
    items_frame,
    parse_ratings,
    parse_timestamps,
    ratings_frame,
    read_ratings_text,
    read_text_table,
    require_file,
)
from lsat_core.errors import ConfigError, InputError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
SEPARATORS = {"csv": ",", "tsv": "\t"}


def _text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


# Parquet column types each role accepts. Ids are text or integers (a float id would read
# "1.0" where a CSV says "1"); text ratings and timestamps are parsed as in a CSV.
PARQUET_TYPES = {
    "user": lambda kind: _text(kind) or pa.types.is_integer(kind),
    "item": lambda kind: _text(kind) or pa.types.is_integer(kind),
    "rating": lambda kind: _text(kind) or _number(kind),
    "timestamp": lambda kind: (
        _text(kind) or _number(kind) or pa.types.is_timestamp(kind) or pa.types.is_date(kind)
    ),
    "title": _text,
}
PARQUET_EXPECTED = {
    "user": "text or integer ids",
    "item": "text or integer ids",
    "rating": "numbers",
    "timestamp": "Unix seconds, dates or timestamps",
    "title": "text",
}


def _size(count: int) -> str:
    return f"{count:,} bytes" if count < 2**20 else f"{count / 2**20:,.0f} MiB"


def _value_type(kind: pa.DataType) -> pa.DataType:
    """The type of the values of a dictionary-encoded column (pandas writes categoricals so)."""
    return kind.value_type if pa.types.is_dictionary(kind) else kind


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the file holds each field."""

    user: str = "user"
    item: str = "item"
    rating: str = "rating"
    timestamp: str = "timestamp"
    title: str | None = None

    def __post_init__(self) -> None:
        for role, name in self.roles().items():
            if not isinstance(name, str) or not name:
                raise ConfigError(f"give a column name for {role}", where="columns")

    def roles(self) -> dict[str, str]:
        """role -> column, the title included when mapped."""
        roles = {
            "user": self.user,
            "item": self.item,
            "rating": self.rating,
            "timestamp": self.timestamp,
        }
        return roles if self.title is None else {**roles, "title": self.title}

    @classmethod
    def parse(cls, text: str) -> ColumnMapping:
        """From "user=uid,item=iid,rating=stars,timestamp=ts[,title=name]" (CLI form)."""
        fields: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            role, sep, column = part.partition("=")
            if not sep or role.strip() not in {"user", "item", "rating", "timestamp", "title"}:
                raise ConfigError(
                    f"expected role=column with role in user, item, rating, timestamp, title; "
                    f"got {part!r}",
                    where="columns",
                )
            fields[role.strip()] = column.strip()
        return cls(**fields)


@dataclass(frozen=True)
class TabularSource:
    path: Path
    columns: ColumnMapping = ColumnMapping()
    file_format: str | None = None
    """"csv", "tsv" or "parquet"; None: from the file suffix."""
    noun: str = "item"
    encoding: str = "utf-8"
    """Text encoding of a CSV/TSV file (any Python codec name: latin-1, cp1252, utf-16...)."""
    max_bytes: int | None = None
    """Refuse a larger file before reading it (None: no limit); not part of the cache key."""

    def __post_init__(self) -> None:
        if self.format() not in (*SEPARATORS, "parquet"):
            raise ConfigError(
                f"unknown format {self.format()!r}; choose csv, tsv or parquet", where="format"
            )
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ConfigError(f"unknown encoding {self.encoding!r}", where="encoding") from None

    def format(self) -> str:
        return self.file_format or FORMATS.get(Path(self.path).suffix.lower(), "csv")

    def describe(self) -> str:
        mapping = ",".join(f"{role}={name}" for role, name in self.columns.roles().items())
        # The encoding is named only when it is not the default, so older cache keys still hold.
        is_utf8 = codecs.lookup(self.encoding).name == "utf-8"
        encoding = "" if is_utf8 or self.format() == "parquet" else f":{self.encoding}"
        return f"tabular:{self.format()}:{mapping}:{self.noun}{encoding}"

    def checksum(self) -> str:
        return files_checksum([self.path])

    def load(self) -> RatingsData:
        path = require_file(self.path)
        size = path.stat().st_size
        if self.max_bytes is not None and size > self.max_bytes:
            raise InputError(
                f"{_size(size)} is over the limit of {_size(self.max_bytes)} "
                "for a ratings file (LSAT_MAX_DATA_FILE_MB; its stream needs about 24 times "
                "its size in memory)",
                where=path,
            )
        if size == 0:
            raise InputError("the file is empty", where=path)
        if self.format() == "parquet":
            ratings, titles = self._load_parquet(path)
        else:
            ratings, titles = self._load_text(path)
        if ratings.empty:
            raise InputError("no ratings in the file", where=path)
        items = items_frame(ratings["item"], titles if titles is not None else ratings["item"])
        return RatingsData(
            ratings=ratings,
            items=items,
            checksum=self.checksum(),
            noun=self.noun,
            source=self.describe(),
            origin=str(path),
        )

    def _load_text(self, path: Path) -> tuple[pd.DataFrame, pd.Series | None]:
        sep = SEPARATORS[self.format()]
        roles = self.columns.roles()
        ratings = read_ratings_text(
            path,
            where=path,
            sep=sep,
            columns={role: roles[role] for role in ("user", "item", "rating", "timestamp")},
            quoting=csv.QUOTE_MINIMAL,
            encoding=self.encoding,
        )
        if self.columns.title is None:
            return ratings, None
        titles = read_text_table(
            path,
            sep=sep,
            quoting=csv.QUOTE_MINIMAL,
            usecols=[self.columns.title],
            dtype="str",
            encoding=self.encoding,
        )[self.columns.title]
        return ratings, titles

    def _load_parquet(self, path: Path) -> tuple[pd.DataFrame, pd.Series | None]:
        roles = self.columns.roles()
        try:
            available = pq.read_schema(path).names
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"not a Parquet file ({exc})", where=path) from exc
        missing = [
            f"{name!r} (for {role})" for role, name in roles.items() if name not in available
        ]
        if missing:
            raise InputError(
                f"missing column {', '.join(missing)}; columns in file: {', '.join(available)}",
                where=path,
            )
        schema = pq.read_schema(path)
        for role, name in roles.items():
            kind = schema.field(name).type
            if not PARQUET_TYPES[role](_value_type(kind)):
                raise InputError(
                    f"column {name!r} ({role}) holds {kind}; expected {PARQUET_EXPECTED[role]}",
                    where=path,
                )
        table = pd.read_parquet(path, columns=list(dict.fromkeys(roles.values())))
        rating = parse_ratings(
            table[roles["rating"]], where=path, column=roles["rating"], line_of_row=None
        )
        timestamp = parse_timestamps(
            table[roles["timestamp"]], where=path, column=roles["timestamp"], line_of_row=None
        )
        ratings = ratings_frame(table[roles["user"]], table[roles["item"]], rating, timestamp)
        return ratings, table[roles["title"]] if "title" in roles else None
