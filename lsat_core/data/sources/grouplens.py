"""MovieLens in the official GroupLens layout: an archive (`ml-1m.zip`, `ml-100k.zip`) or the
folder it unpacks to (docs/method.md section 6).

- ML-1M: `ratings.dat` (UserID::MovieID::Rating::Timestamp) and `movies.dat`
  (MovieID::Title::Genres), `::`-separated, Latin-1, no header.
- ML-100K: `u.data` (user, item, rating, timestamp; tab-separated) and `u.item`
  (`|`-separated, Latin-1, the title second).

Item ids are the MovieLens movie ids, titles as written ("Toy Story (1995)").
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lsat_core.data.sources.base import (
    RatingsData,
    files_checksum,
    items_frame,
    read_ratings_text,
    read_text_table,
    require_file,
)
from lsat_core.errors import InputError


@dataclass(frozen=True)
class GroupLensLayout:
    ratings_file: str
    ratings_sep: str
    items_file: str
    items_sep: str


LAYOUTS = {
    "ml-1m": GroupLensLayout("ratings.dat", "::", "movies.dat", "::"),
    "ml-100k": GroupLensLayout("u.data", "\t", "u.item", "|"),
}
RATING_NAMES = ["user", "item", "rating", "timestamp"]


@dataclass(frozen=True)
class GroupLensSource:
    path: Path
    """The GroupLens zip archive, or a folder holding the two files."""
    layout: str = "ml-1m"
    noun: str = "movie"

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {sorted(LAYOUTS)}, got {self.layout!r}")

    def describe(self) -> str:
        return f"grouplens:{self.layout}:{self.noun}"

    def checksum(self) -> str:
        if Path(self.path).is_dir():
            spec = LAYOUTS[self.layout]
            return files_checksum([self.path / spec.ratings_file, self.path / spec.items_file])
        return files_checksum([self.path])

    def load(self) -> RatingsData:
        spec = LAYOUTS[self.layout]
        where_ratings, ratings_text = self._read(spec.ratings_file)
        where_items, items_text = self._read(spec.items_file)
        ratings = read_ratings_text(
            _as_tab_separated(ratings_text, spec.ratings_sep),
            where=where_ratings,
            sep="\t",
            columns={name: name for name in RATING_NAMES},
            names=RATING_NAMES,
        )
        table = read_text_table(
            _as_tab_separated(items_text, spec.items_sep),
            where=where_items,
            sep="\t",
            header=None,
            usecols=[0, 1],
            dtype="str",
        )
        return RatingsData(
            ratings=ratings,
            items=items_frame(table[0], table[1]),
            checksum=self.checksum(),
            noun=self.noun,
            source=self.describe(),
            origin=str(self.path),
        )

    def _read(self, name: str) -> tuple[str, str]:
        """(where, text) of one member, from the folder or from the zip (in any subfolder)."""
        path = Path(self.path)
        if path.is_dir():
            file = require_file(path / name)
            return str(file), file.read_bytes().decode("latin-1")
        require_file(path, "archive")
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if m.rsplit("/", 1)[-1] == name]
                if not members:
                    raise InputError(f"no {name} in the archive", where=path)
                return f"{path}:{members[0]}", archive.read(members[0]).decode("latin-1")
        except zipfile.BadZipFile as exc:
            raise InputError(
                f"not a zip archive ({exc}); delete it to download again", where=path
            ) from exc


def _as_tab_separated(text: str, sep: str) -> io.StringIO:
    """The C parser takes one-character separators only; MovieLens fields never hold a tab."""
    return io.StringIO(text if sep == "\t" else text.replace(sep, "\t"))
