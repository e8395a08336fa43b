"""`lsat data ...`: fetch a dataset, build and cache its period stream, show per-period stats.

A named dataset (`lsat data stats ml-1m`) uses the paper's settings for it; a user's own file
(`lsat data stats --file ratings.csv --columns user=uid,item=iid,rating=stars,timestamp=ts`)
is cut into --periods periods by count, or by equal time bins with --time-range.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import typer

from lsat_core.configs import config_to_dict
from lsat_core.data.cache import StatusSink, get_or_build_stream
from lsat_core.data.datasets import DATASETS, ORIGINS, load_stream
from lsat_core.data.sources.tabular import ColumnMapping, TabularSource
from lsat_core.data.stats import period_stats
from lsat_core.data.stream import Stream
from lsat_core.data.stream_config import BY_COUNT, BY_TIME, StreamConfig
from lsat_core.errors import InputError
from lsat_core.settings import Settings

data_app = typer.Typer(
    name="data",
    help="Interaction datasets and the period streams built from them.",
    no_args_is_help=True,
)

NAME_HELP = f"Dataset name: {', '.join(DATASETS)}."
PATH_HELP = (
    "Local copy: a GroupLens archive or folder (ml-1m, ml-100k), or the folder holding "
    "Books_5.json(.gz) and meta_Books.json(.gz) (amazon-book)."
)
ORIGIN_HELP = f"Where MovieLens comes from, in order of preference ({', '.join(ORIGINS)}); repeat."


@data_app.command("fetch")
def fetch(
    name: str = typer.Argument(..., help=NAME_HELP),
    path: Path | None = typer.Option(None, "--path", help=PATH_HELP),
    origin: list[str] | None = typer.Option(None, "--origin", help=ORIGIN_HELP),
) -> None:
    """Fetch a dataset, build its stream with the paper's settings and cache it."""
    stream = load_stream(
        name,
        Settings.from_env().cache_dir,
        path=path,
        origins=tuple(origin) if origin else ORIGINS,
        progress=_progress(),
    )
    typer.echo(
        f"{name}: {len(stream.samples):,} samples in {stream.num_periods} periods "
        f"(stream {stream.key})"
    )


@data_app.command("stats")
def stats(
    name: str | None = typer.Argument(None, help=NAME_HELP),
    file: Path | None = typer.Option(None, "--file", help="Your own ratings file instead."),
    file_format: str | None = typer.Option(
        None, "--format", help="csv, tsv or parquet (default: from the file suffix)."
    ),
    columns: str = typer.Option(
        "user=user,item=item,rating=rating,timestamp=timestamp",
        "--columns",
        help="role=column for user, item, rating, timestamp and optionally title.",
    ),
    noun: str = typer.Option("item", "--noun", help="What an item is in prompts (--file)."),
    encoding: str = typer.Option(
        "utf-8", "--encoding", help="Text encoding of a CSV/TSV --file (latin-1, cp1252...)."
    ),
    periods: int = typer.Option(20, "--periods", help="Number of periods (--file)."),
    period_size: int | None = typer.Option(
        None, "--period-size", help="Samples per period, the latest kept (--file; default: all)."
    ),
    time_range: str | None = typer.Option(
        None, "--time-range", help="START,END dates: equal time bins instead of counts (--file)."
    ),
    tz_offset: float = typer.Option(0.0, "--tz-offset", help="UTC offset of --time-range, hours."),
    path: Path | None = typer.Option(None, "--path", help=PATH_HELP),
    origin: list[str] | None = typer.Option(None, "--origin", help=ORIGIN_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Per-period statistics of a stream (built and cached first when needed)."""
    settings = Settings.from_env()
    cache_dir = settings.cache_dir
    if file is not None and name is None:
        source = TabularSource(
            file,
            ColumnMapping.parse(columns),
            file_format=file_format,
            noun=noun,
            encoding=encoding,
            max_bytes=settings.limits.max_data_file_mb * 2**20,
        )
        config = _file_config(periods, period_size, time_range, tz_offset)
        stream = get_or_build_stream(source, config, cache_dir, _progress())
        label = str(file)
    elif name is not None and file is None:
        origins = tuple(origin) if origin else ORIGINS
        stream = load_stream(name, cache_dir, path=path, origins=origins, progress=_progress())
        label = name
    else:
        raise InputError("give a dataset name or --file (one of the two)", where="stats")
    table = period_stats(stream)
    typer.echo(_as_json(label, stream, table) if as_json else _as_text(label, stream, table))


def _file_config(
    periods: int, period_size: int | None, time_range: str | None, tz_offset: float
) -> StreamConfig:
    if time_range is None:
        return StreamConfig(period_mode=BY_COUNT, num_periods=periods, period_size=period_size)
    start, sep, end = time_range.partition(",")
    if not sep:
        raise InputError(f"expected START,END, got {time_range!r}", where="--time-range")
    return StreamConfig(
        period_mode=BY_TIME,
        num_periods=periods,
        time_start=start.strip(),
        time_end=end.strip(),
        tz_offset_hours=tz_offset,
    )


def _progress() -> StatusSink:
    """Stage messages on stderr with the seconds elapsed: fetching, reading, building."""
    started = time.perf_counter()

    def report(message: str) -> None:
        typer.echo(f"[{time.perf_counter() - started:6.1f}s] {message}", err=True)

    return report


def _as_json(label: str, stream: Stream, table: pd.DataFrame) -> str:
    return json.dumps(
        {
            "dataset": label,
            "stream": stream.key,
            "noun": stream.noun,
            "total_samples": len(stream.samples),
            "num_periods": stream.num_periods,
            "config": config_to_dict(stream.config),
            "periods": table.to_dict(orient="records"),
        },
        indent=2,
    )


def _as_text(label: str, stream: Stream, table: pd.DataFrame) -> str:
    shown = table.assign(
        positive_rate=table["positive_rate"].map("{:.3f}".format),
        cold_item_share=table["cold_item_share"].map("{:.3f}".format),
        cold_sample_share=table["cold_sample_share"].map("{:.3f}".format),
    )
    head = (
        f"{label}: {len(stream.samples):,} samples in {stream.num_periods} periods "
        f"(stream {stream.key})"
    )
    return head + "\n" + shown.to_string(index=False)
