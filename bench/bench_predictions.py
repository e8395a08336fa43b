"""Size and speed of kept predictions at the paper preset's scale (about 3 million per comparison).

    python bench/bench_predictions.py [--sets 60] [--samples 50000] [--database-url URL]

Writes `--sets` prediction sets of `--samples` ML-1M-like samples each (6,040 users, 3,706
items, stream-ordered sample ids, random scores: the worst case for compression) into a fresh
SQLite store in a temporary folder (or the store at URL, migrated first), one transaction per
set as the period loop does, then reads them all back as one DataFrame, as a paired comparison
does. Prints the bytes stored per sample, the write and read times.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from lsat_core.store import create_experiment, get_or_create_run, make_engine, session_scope
from lsat_core.store import upgrade as upgrade_store
from lsat_core.store.models import PredictionSet
from lsat_core.store.predictions import predictions_frame, record_predictions


def synthetic_set(rng: np.random.Generator, start: int, samples: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sample_id": start + np.sort(rng.choice(2 * samples, samples, replace=False)),
            "user": rng.integers(1, 6041, samples).astype(str),
            "item": rng.integers(1, 3707, samples).astype(str),
            "label": rng.integers(0, 2, samples),
            "warm": rng.random(samples) < 0.9,
            "score": rng.random(samples),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=60)
    parser.add_argument("--samples", type=int, default=50_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'lsat.db'}"
        upgrade_store(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            experiment = create_experiment(session, name="bench", protocol="next_period", config={})
            run_id = get_or_create_run(
                session,
                key=f"bench-predictions-{time.time_ns()}",
                experiment_id=experiment.id,
                name="bench",
                strategy="fine_tuning",
                backbone="none",
                protocol="next_period",
                config={},
                seed=0,
            ).id
        rng = np.random.default_rng(0)
        frames = [synthetic_set(rng, 2 * args.samples * i, args.samples) for i in range(args.sets)]
        started = time.perf_counter()
        for period, frame in enumerate(frames, start=1):
            with session_scope(engine) as session:
                record_predictions(
                    session, run_id=run_id, train_period=period, eval_period=period, frame=frame
                )
        write_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with session_scope(engine) as session:
            frame = predictions_frame(session, [run_id])
            stored = session.scalar(
                select(func.sum(func.length(PredictionSet.frame))).where(
                    PredictionSet.run_id == run_id
                )
            )
        read_seconds = time.perf_counter() - started
        engine.dispose()
        total = args.sets * args.samples
        assert len(frame) == total
        print(f"{args.sets} sets x {args.samples} samples = {total:,} predictions")
        print(f"stored Parquet: {stored / 1e6:.1f} MB ({stored / total:.1f} bytes per sample)")
        if url.startswith("sqlite"):
            size = Path(folder, "lsat.db").stat().st_size
            print(f"SQLite file: {size / 1e6:.1f} MB")
        print(f"write: {write_seconds:.1f} s ({total / write_seconds:,.0f} samples/s)")
        print(f"read all back: {read_seconds:.1f} s ({total / read_seconds:,.0f} samples/s)")


if __name__ == "__main__":
    main()
