"""Amazon reviews in the public 2018 format (McAuley lab): a 5-core review file such as
`Books_5.json` and its metadata `meta_Books.json`, JSON lines, optionally gzipped
(docs/method.md section 6).

Only the fields we use are parsed (pyarrow with an explicit schema; the files are large and
their other fields vary in type): reviewerID, asin, overall, unixReviewTime; asin, title.
As in the reference (`process_amazon_book_dataset.ipynb`) the reviews keep their file order,
are joined with the metadata on asin and rows without a title are dropped. Two departures, both
to avoid silent damage: a metadata asin listed twice keeps its first title (a plain join would
duplicate every review of it), and an empty title counts as no title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from lsat_core.data.sources.base import (
    RatingsData,
    files_checksum,
    items_frame,
    parse_timestamps,
    ratings_frame,
    require_file,
)
from lsat_core.errors import InputError

REVIEW_SCHEMA = pa.schema(
    [
        ("reviewerID", pa.string()),
        ("asin", pa.string()),
        ("overall", pa.float64()),
        ("unixReviewTime", pa.int64()),
    ]
)
META_SCHEMA = pa.schema([("asin", pa.string()), ("title", pa.string())])
BLOCK_BYTES = 64 << 20
"""pyarrow parses JSON lines in blocks; one metadata record can be long (descriptions)."""


@dataclass(frozen=True)
class AmazonReviewsSource:
    reviews_path: Path
    meta_path: Path
    noun: str = "book"

    def describe(self) -> str:
        return f"amazon-reviews-2018:{self.noun}"

    def checksum(self) -> str:
        return files_checksum([self.reviews_path, self.meta_path])

    def load(self) -> RatingsData:
        reviews = _read_json_lines(self.reviews_path, REVIEW_SCHEMA).dropna()
        meta = _read_json_lines(self.meta_path, META_SCHEMA).dropna()
        meta = meta[meta["title"].str.strip() != ""].drop_duplicates("asin", keep="first")
        joined = reviews.merge(meta, on="asin", how="inner", sort=False)  # keeps review order
        if joined.empty:
            raise InputError(
                f"no review has a titled item in {Path(self.meta_path).name} "
                f"({len(reviews):,} reviews, {len(meta):,} titled items)",
                where=self.reviews_path,
            )
        timestamps = parse_timestamps(
            joined["unixReviewTime"],
            where=self.reviews_path,
            column="unixReviewTime",
            line_of_row=None,
        )
        return RatingsData(
            ratings=ratings_frame(
                joined["reviewerID"], joined["asin"], joined["overall"].to_numpy(), timestamps
            ),
            items=items_frame(meta["asin"], meta["title"]),
            checksum=self.checksum(),
            noun=self.noun,
            source=self.describe(),
            origin=str(Path(self.reviews_path).parent),
        )


def _read_json_lines(path: Path, schema: pa.Schema) -> pd.DataFrame:
    path = require_file(path)
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = pa_json.read_json(
            path, read_options=pa_json.ReadOptions(block_size=BLOCK_BYTES), parse_options=options
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(_json_message(str(exc)), where=path) from exc
    frame = table.to_pandas()
    for name in schema.names:
        if len(frame) and frame[name].isna().all():
            raise InputError(f"missing field {name!r} in every record", where=path)
    return frame


def _json_message(message: str) -> str:
    """pyarrow counts rows from 0 in its messages; a user counts lines from 1."""
    message = message.strip().splitlines()[0] if message.strip() else "cannot read"
    return re.sub(r"in row (\d+)", lambda m: f"on line {int(m.group(1)) + 1}", message)
