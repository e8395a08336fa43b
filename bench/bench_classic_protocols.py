"""Time a whole protocol run of classic baselines through the period loop, on one or more workers.

    python bench/bench_classic_protocols.py [--strategies mf:full_retrain,...] [--protocol P]
        [--preset paper] [--update-periods 1,2] [--workers 2] [--data-dir DIR]
        [--cache-from DIR] [--out FILE.json]

Default: the next-period protocol (update at t = 1..19, test on D_{t+1}) of the five baselines
fully retrained and the two floors (popularity, logreg), on the real ML-1M stream with the paper
preset (whole periods), in a fresh store under --data-dir (default: a new temporary folder; its
cache links the wheels, streams and MiniLM files of --cache-from, by default the settings'
cache, so nothing is fetched again). `bench/classic_floor_table.py --store DIR` prints the
comparison with the floors from that store.

The work is what `lsat run` does (`period_loop.run_step` for every strategy and step), spread
over --workers processes as queue workers would spread it: a fully retrained model or a floor
does not depend on any other, so each (strategy, t) is one job, the largest first; a
fine-tuning chain is one job in period order. Target (issue "Classic recommenders"): five
models fully retrained over 20 periods within 15 minutes on the 2-core machine. The machine
may be shared: the script prints the CPU seconds of all processes beside the wall time, and the
wall time the same work would take on `--workers` otherwise idle cores (the CPU time of the
busiest worker).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from sqlalchemy import select

from lsat_core.configs import config_to_dict
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.presets import preset_config
from lsat_core.engine.workbench import Workbench
from lsat_core.evaluation.protocols import EvalStep, plan_steps, summary_eval_periods
from lsat_core.runner.assembly import experiment_stream, open_workbench
from lsat_core.runner.period_loop import prepare_experiment, run_step
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.lifecycle import finish_runs, start_runs
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact
from lsat_core.store.queries import results_frame
from lsat_core.strategies.classic import CLASSIC_BASELINES
from lsat_core.strategies.floors import FLOORS

TARGET_SECONDS = 15 * 60
_CPU_FIELDS = ("user", "system", "children_user", "children_system")
CACHE_PARTS = ("wheels", "streams", "datasets", "text_encoders", "text_features")
Job = tuple[str, tuple[int, ...]]
"""(strategy, update periods t run in this order)."""


@dataclass(frozen=True)
class _Worker:
    bench: Workbench
    run_ids: dict[str, int]
    steps: dict[int, EvalStep]


_worker: list[_Worker] = []
"""This process's workbench, run ids and steps (set once by `_start_worker`)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ",".join([*(f"{b}:full_retrain" for b in CLASSIC_BASELINES), *FLOORS])
    parser.add_argument("--strategies", default=default)
    parser.add_argument("--protocol", default="next-period")
    parser.add_argument("--preset", default="paper")
    parser.add_argument("--update-periods", help="comma-separated t to run (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, help="fresh folder for the store and models")
    parser.add_argument("--cache-from", type=Path, help="cache to link (default: settings')")
    parser.add_argument("--out", type=Path, help="write the measurements as JSON")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="lsat-bench-"))
    settings = Settings.for_data_dir(data_dir)
    link_cache(args.cache_from or Settings.from_env().cache_dir, settings.cache_dir)
    strategies = tuple(s for s in args.strategies.split(",") if s)
    overrides = {"protocol": args.protocol}
    if args.update_periods:
        overrides["update_periods"] = tuple(int(t) for t in args.update_periods.split(","))
    config = preset_config(args.preset, strategies, **overrides)
    print(f"python {platform.python_version()}, torch {torch.__version__}, {os.cpu_count()} CPUs,")
    print(f"{args.workers} worker process(es), store in {data_dir}")
    print(f"classic config: {config_to_dict(config.classic)}")

    started, cpu_started = time.perf_counter(), os.times()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    stream = experiment_stream(config, settings)
    bench = open_workbench(config, settings, engine, stream=stream)
    for family in bench.families.values():
        family.prepare()  # DeepMusic's title features, encoded once before the workers start
    prepared = prepare_experiment(engine, config, stream, f"bench {args.protocol}")
    with session_scope(engine) as session:
        run_ids = start_runs(session, prepared.experiment_id, prepared.run_ids)
    steps = plan_steps(config.protocol, stream.num_periods, config.update_periods)
    by_period = {step.train_period: step for step in steps}
    setup = time.perf_counter() - started
    timings = run_jobs(jobs(config, steps), config, settings, run_ids, by_period, args.workers)
    with session_scope(engine) as session:
        finish_runs(session, prepared.experiment_id, run_ids.values(), device="cpu")
    wall = time.perf_counter() - started
    cpu_ended = os.times()
    cpu = sum(getattr(cpu_ended, f) - getattr(cpu_started, f) for f in _CPU_FIELDS)

    with session_scope(engine) as session:
        results = results_frame(session, list(run_ids.values()))
        models = pd.DataFrame(
            {"key": a.key, **(a.metrics or {})} for a in session.scalars(select(Artifact))
        )
    report(config, results, models, timings, wall, cpu, setup, args.workers)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "config": config.to_dict(),
            "workers": args.workers,
            "wall_seconds": wall,
            "cpu_seconds": cpu,
            "setup_seconds": setup,
            "jobs": timings,
            "results": results.drop(columns=["coefficient_curve"], errors="ignore").to_dict(
                orient="records"
            ),
        }
        args.out.write_text(json.dumps(payload, indent=1, default=str))


def link_cache(source: Path, cache_dir: Path) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name in CACHE_PARTS:
        if (source / name).exists() and not (cache_dir / name).exists():
            (cache_dir / name).symlink_to((source / name).resolve())


def jobs(config: ExperimentConfig, steps: list[EvalStep]) -> list[Job]:
    """Fine-tuning chains whole and first (longest), then fully retrained models and floors
    (neither depends on the previous period's model), latest first."""
    periods = tuple(step.train_period for step in steps)
    retrained = [s for s in config.strategies if s.endswith(":full_retrain") or s in FLOORS]
    chains = [(s, periods) for s in config.strategies if s not in retrained]
    single = [(s, (t,)) for t in reversed(periods) for s in retrained]
    return chains + single


def run_jobs(
    todo: list[Job],
    config: ExperimentConfig,
    settings: Settings,
    run_ids: dict[str, int],
    by_period: dict[int, EvalStep],
    workers: int,
) -> list[dict]:
    if workers == 1:
        _start_worker(config.to_dict(), settings, run_ids, by_period)
        return [_run_job(job) for job in todo]
    context = multiprocessing.get_context("spawn")
    with context.Pool(
        workers, _start_worker, (config.to_dict(), settings, run_ids, by_period)
    ) as pool:
        return list(pool.imap_unordered(_run_job, todo, chunksize=1))


def _start_worker(
    config: dict, settings: Settings, run_ids: dict[str, int], steps: dict[int, EvalStep]
) -> None:
    """Each worker re-reads the config and opens its own store connection, as a queue worker."""
    experiment = ExperimentConfig.from_dict(config)
    bench = open_workbench(experiment, settings, make_engine(settings.database_url))
    _worker[:] = [_Worker(bench, run_ids, steps)]


def _run_job(job: Job) -> dict:
    strategy, periods = job
    worker = _worker[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    for t in periods:
        run_step(
            worker.bench.engine, worker.bench, worker.run_ids[strategy], strategy, worker.steps[t]
        )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    shown = ",".join(map(str, periods))
    print(f"  {strategy:24} t={shown:>12}  {wall:6.1f} s (cpu {cpu:6.1f} s)", flush=True)
    return {
        "strategy": strategy,
        "periods": periods,
        "wall": wall,
        "cpu": cpu,
        "pid": os.getpid(),
        "process_cpu": time.process_time(),  # start-up included
    }


def report(
    config: ExperimentConfig,
    results: pd.DataFrame,
    models: pd.DataFrame,
    timings: list[dict],
    wall: float,
    cpu: float,
    setup: float,
    workers: int,
) -> None:
    model = results[results["role"] == "model"]
    tested = set(model["eval_period"])
    summary = [p for p in summary_eval_periods(config.protocol, config.num_periods) if p in tested]
    summary = summary or sorted(tested)
    table = model[model["eval_period"].isin(summary)].pivot_table(
        index="strategy", columns="segment", values="auc", aggfunc="mean"
    )
    print(f"\nmean AUC over tested periods {summary[0]}..{summary[-1]}:")
    print(table.reindex(list(config.strategies)).round(4).to_string())
    trained = models.assign(family=models["key"].str.split("-").str[0])
    per_family = trained.groupby("family")[["seconds", "cpu_seconds"]].sum()
    print("\ntraining time per baseline, summed over its models (wall / CPU seconds):")
    print(per_family.round(1).to_string())
    busiest = pd.DataFrame(timings).groupby("pid")["process_cpu"].max().max()
    idle = setup + busiest
    print(
        f"\nwhole run: {wall:.0f} s wall, {cpu:.0f} s CPU over all processes; on {workers} "
        f"otherwise idle core(s) about {idle:.0f} s (set-up {setup:.0f} s + the busiest worker's "
        f"CPU time, its start-up included); target {TARGET_SECONDS} s: "
        f"{'met' if wall <= TARGET_SECONDS else 'missed'} in wall time, "
        f"{'met' if idle <= TARGET_SECONDS else 'missed'} on idle cores"
    )


if __name__ == "__main__":
    main()
