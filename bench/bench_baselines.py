"""Time fit + score of every classic baseline per period and project a 20-period run.

    python bench/bench_baselines.py [--stream-dir DIR] [--cache-dir DIR] [--periods 1,10,20]
                                    [--models mf,sasrec] [--threads 1] [--out FILE.json]

Data: a planted-signal stream of ML-1M's shape (6,040 users, 3,706 items, 20 periods of 10,000
samples; as in real ratings, user and item biases, skewed item popularity, users active for a
month each and 10% label noise, so that models learn from the first steps and plateau), or a
built stream folder (`samples.parquet` + `items.parquet`, e.g. the ML-1M stream cache;
DeepMusic then embeds the titles with MiniLM, cached in --cache-dir, by default the settings'
cache).

At each period t of --periods, every model is fully retrained as docs/method.md section 3 says
(train_1..t plus val_1..t-1, validated on val_t) and scores D_{t+1} (when there is one); the time of
the other periods is interpolated linearly in t. A fine-tuning step trains on one period, so its
cost is about that of period 1. Target: five models x 20 periods of full retraining within 15
minutes on 2 cores, i.e. two single-threaded workers sharing the models.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.registry import BASELINES, build_baseline
from lsat_core.baselines.synthetic import planted_stream
from lsat_core.baselines.text_features import ItemTextFeatures, title_embeddings
from lsat_core.configs import config_to_dict
from lsat_core.data.schema import TRAIN, VAL
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.settings import Settings

TARGET_SECONDS = 15 * 60
WORKERS = 2
PERIODS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-dir", type=Path, help="folder with samples/items.parquet")
    parser.add_argument("--cache-dir", type=Path, help="MiniLM cache (default: the settings')")
    parser.add_argument("--periods", default="1,10,20", help="periods t to fully retrain at")
    parser.add_argument("--models", default=",".join(BASELINES))
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--out", type=Path, help="write the measurements as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cache_dir = args.cache_dir or Settings.from_env().cache_dir
    samples, features, source = load_data(args.stream_dir, cache_dir)
    periods = sorted({int(p) for p in args.periods.split(",")})
    config = ClassicTrainConfig()
    print(f"python {platform.python_version()}, torch {torch.__version__}, {os.cpu_count()} CPUs,")
    print(f"{args.threads} torch thread(s); data: {source}; config: {config_to_dict(config)}")
    runs = [
        time_full_retraining(name, samples, features, config, t)
        for name in args.models.split(",")
        for t in periods
    ]
    report(runs, periods, args.models.split(","))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"source": source, "runs": runs}, indent=1))


def load_data(
    stream_dir: Path | None, cache_dir: Path
) -> tuple[pd.DataFrame, ItemTextFeatures, str]:
    if stream_dir is None:
        stream = planted_stream(
            users=6040,
            items=3706,
            samples=PERIODS * 10_000,
            periods=PERIODS,
            label_noise=0.1,
            bias_std=0.8,
            popularity_exponent=1.0,
            user_active_days=30,
            feature_dim=384,
            seed=0,
        )
        return stream.samples, stream.features, "planted ML-1M-sized stream"
    samples = pd.read_parquet(stream_dir / "samples.parquet")
    features = title_embeddings(pd.read_parquet(stream_dir / "items.parquet"), cache_dir)
    return samples, features, str(stream_dir)


def time_full_retraining(
    name: str,
    samples: pd.DataFrame,
    features: ItemTextFeatures,
    config: ClassicTrainConfig,
    t: int,
) -> dict:
    period, split = samples["period"], samples["split"]
    train = samples[(period < t) | ((period == t) & (split == TRAIN))]
    val = samples[(period == t) & (split == VAL)]
    test = samples[period == t + 1]
    model = build_baseline(name, text_features=features)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = model.fit(train, val, config, device="cpu")
    fitted = time.perf_counter()
    test_auc = None
    if len(test):
        test_auc = auc_with_ci(test["label"].to_numpy(), model.score(test)).auc
    run = {
        "model": name,
        "period": t,
        "train_samples": len(train),
        "fit_s": fitted - started,
        "score_s": time.perf_counter() - fitted,
        "cpu_s": time.process_time() - cpu_started,
        "samples_trained": result.cost.samples_trained,
        "validations": len(result.history),
        "best_epochs": result.history[result.best].epochs,
        "stopped_early": result.stopped_early,
        "best_val_auc": result.best_val_auc,
        "test_auc": test_auc,
    }
    print(
        f"{name:9} t={t:2} train {len(train):7,} | fit {run['fit_s']:6.1f}s score "
        f"{run['score_s']:4.2f}s (cpu {run['cpu_s']:6.1f}s) | "
        f"{run['samples_trained']:7,} samples, best at "
        f"{run['best_epochs']:.2f} epochs | val AUC {result.best_val_auc:.4f} test AUC "
        + (f"{test_auc:.4f}" if test_auc is not None else "-"),
        flush=True,
    )
    return run


def report(runs: list[dict], periods: list[int], models: list[str]) -> None:
    """Per-model projections from wall time and from CPU time (what a busy machine inflates)."""
    print("\nprojected 20-period run, seconds as wall / CPU (full retraining interpolated over t):")
    totals = np.zeros(4)
    for name in models:
        own = [r for r in runs if r["model"] == name]
        wall = [r["fit_s"] + r["score_s"] for r in own]
        cpu = [r["cpu_s"] for r in own]
        ts = np.arange(1, PERIODS + 1)
        full = np.array([np.interp(ts, periods, wall).sum(), np.interp(ts, periods, cpu).sum()])
        fine = PERIODS * np.array([wall[0], cpu[0]]) if periods[0] == 1 else np.full(2, np.nan)
        totals += np.concatenate([full, fine])
        print(
            f"  {name:9} full retraining {full[0]:6.0f} / {full[1]:6.0f}   "
            f"fine-tuning ~{fine[0]:5.0f} / {fine[1]:5.0f}"
        )
    print(
        f"  all models, full retraining: {totals[0]:.0f} / {totals[1]:.0f} s on one core = "
        f"{totals[0] / WORKERS:.0f} / {totals[1] / WORKERS:.0f} s on {WORKERS} single-threaded "
        f"workers (target {TARGET_SECONDS} s); fine-tuning ~{totals[2]:.0f} / {totals[3]:.0f} s "
        "on one core"
    )


if __name__ == "__main__":
    main()
