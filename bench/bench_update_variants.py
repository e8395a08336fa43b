"""Classic models under full retraining, fine-tuning, replay and sampled retraining on real
ML-1M (issue 13: replay and sampled full retraining judged against full retraining).

    python bench/bench_update_variants.py --data-dir DIR [--models mf,sasrec] [--periods 10-19]
        [--weighting uniform|recency] [--strategies popularity,logreg,gru4rec:fine_tune]
    lsat report EXPERIMENT...      # with LSAT_DATA_DIR=DIR: AUCs, uAUCs and paired DeLong tests
    python bench/classic_floor_table.py --store DIR --against-full-retrain ...  # the table

One experiment per call, in process, next-period protocol, whole periods (the classic models'
default), in the store of --data-dir (its cache may be a copy of or links to a warm one): the
four updates of every model of --models (empty: none), then the --strategies as named (floors,
other classic strategies), so that the variants and what they are judged against share a store
and are paired on the same test samples. Several calls may run side by side on one store (one
experiment each; give them disjoint strategies, or they train the same models twice). The
experiment's id is printed last, for `lsat report`; the training cost per update is in the
store's results (samples_trained, train_seconds).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.update_settings import WEIGHTINGS, UpdateSettings
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings

UPDATES = ("full_retrain", "fine_tune", "replay", "full_retrain_sampled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--models", default="mf,sasrec")
    parser.add_argument("--periods", default="10-19", help="first-last update periods t")
    parser.add_argument("--weighting", choices=WEIGHTINGS, default="uniform")
    parser.add_argument("--strategies", default="", help="further strategies, run as named")
    args = parser.parse_args()
    first, last = (int(p) for p in args.periods.split("-"))
    models = names(args.models)
    further = names(args.strategies)
    config = ExperimentConfig(
        strategies=tuple(f"{m}:{u}" for m in models for u in UPDATES) + further,
        dataset="ml-1m",
        protocol="next-period",
        update_periods=tuple(range(first, last + 1)),
        updates=UpdateSettings(sampled_weighting=args.weighting),
    )
    started = time.perf_counter()
    name = " ".join(["update variants", *models, *further, args.weighting])
    _, prepared = run_experiment(config, Settings.for_data_dir(args.data_dir), name=name)
    print(f"{time.perf_counter() - started:.0f} s; experiment {prepared.experiment_id}")


def names(listed: str) -> tuple[str, ...]:
    return tuple(n for n in listed.split(",") if n)


if __name__ == "__main__":
    main()
