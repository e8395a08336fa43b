"""Load: N comparisons submitted at once to 2 real Celery workers, the dashboard timed meanwhile.

    python bench/bench_load.py [--comparisons 20] [--workers 2] [--timeout 600]
        [--broker-url redis://127.0.0.1:6379/12] [--database-url URL | --sqlite]
        [--backbone PATH] [--cache-from DIR] [--update-periods 1,2] [--page-interval 5]
        [--out FILE.json] [--keep]

Starts `--workers` real `celery worker` processes as `lsat worker` does (concurrency 1, one torch
thread each) on a real Redis (its database number is flushed before and after: give one nobody
else uses) and a real store: a fresh schema of the PostgreSQL database `--database-url`
(dropped after), or with `--sqlite` a SQLite file in a temporary data folder. Then submits the N
comparisons at once, as N `lsat submit` would (experiment row, then the launch task), and while
the workers drain the queue, renders every dashboard page every `--page-interval` seconds with
Streamlit's AppTest on the same store (as bench/bench_dashboard.py does): a new session (a
visitor opening the page on an experiment still running) and a rerun of it (a live refresh).

Each comparison is made tiny: the default backbone is the tiny random LLaMA of the tests
(tests/support/tiny_llm.py; SmolLM2-135M scores about one prompt a second on this CPU, so 20
comparisons would take hours), 16 train / 16 validation / 24 test samples per period, updates
at t = 1, 2 by default (m = 1). Comparison i alternates between fine_tune,lsat_en and
full_retrain,lsat_ta with seed i // 2: distinct experiments, and the two of a seed share their
LoRA adapters (full@1, short@1, short@2), as comparisons of one user would.

Prints the submit time, the drain time (submission to the last experiment finished), the
experiments' durations and statuses, the task throughput, duplicate checks in the store and the
page render times (median / p95 / max; target < 1 s). Exits non-zero when a comparison did not
succeed, the drain exceeded `--timeout`, a duplicate was found or a page failed. Progress goes to
stderr; the data folder (store, adapters, worker logs) is removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from cli.worker_commands import worker_argv
from lsat_core.runner.options import build_config
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import (
    Artifact,
    ArtifactStatus,
    Event,
    Experiment,
    ExperimentRun,
    PeriodResult,
    Run,
    RunStatus,
    Segment,
    StreamRecord,
)
from lsat_core.store.postgres_schema import temporary_schema
from worker.names import CPU_QUEUE
from worker.queue_client import client_app, submit_experiment

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_DIR = REPO_ROOT / "app"
TARGET_S = 1.0
TRIVIAL_PAGE = "import streamlit as st\nst.write('hello')"
TERMINAL = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
STRATEGY_SETS = ("fine_tune,lsat_en", "full_retrain,lsat_ta")
CACHE_PARTS = ("wheels", "streams", "datasets")
PAGES = ("replay.py", "launch.py", "monitor.py", "compare.py", "cold_warm.py")
PERCENTILE = 95
NET = "net"
"""A new session's render less AppTest's own cost of a new session in that round (a one-line
page): the server's work for the page, which the target applies to, with the rerun."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C raises KeyboardInterrupt; a SIGTERM does the same, so both run the clean-up below.
    signal.signal(signal.SIGTERM, _interrupt)
    with ExitStack() as cleanup:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-load-"))
        if not args.keep:
            cleanup.callback(shutil.rmtree, data_dir, ignore_errors=True)
        database_url = (
            f"sqlite:///{data_dir / 'lsat.db'}"
            if args.sqlite
            else cleanup.enter_context(temporary_schema(args.database_url, prefix="lsat_bench_"))
        )
        settings = Settings.for_data_dir(
            data_dir, database_url=database_url, broker_url=args.broker_url
        )
        link_cache(args.cache_from, settings.cache_dir)
        backbone = args.backbone or tiny_backbone(data_dir / "tiny-llama")
        upgrade(settings.database_url)
        cleanup.enter_context(private_redis_db(settings.broker_url))
        engine = make_engine(settings.database_url)
        cleanup.callback(engine.dispose)
        workers = cleanup.enter_context(started_workers(settings, args.workers, data_dir))
        log(f"{args.workers} workers ready ({', '.join(workers)}); store {_shown(database_url)}")
        report = run_load(args, settings, engine, str(backbone))
        report["workers"] = workers
        report["store"] = "sqlite" if args.sqlite else "postgresql"
        print_report(report)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=1, default=str))
            log(f"wrote {args.out}")
        failures = report["failures"]
        for failure in failures:
            print(f"FAILED: {failure}")
        return 1 if failures else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the queue to drain")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/12")
    store = parser.add_mutually_exclusive_group()
    store.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL database in which a temporary schema is made",
    )
    store.add_argument("--sqlite", action="store_true", help="SQLite in the temporary data folder")
    parser.add_argument("--backbone", type=Path, help="model folder (default: tiny random LLaMA)")
    parser.add_argument(
        "--cache-from",
        type=Path,
        default=Path(os.environ.get("LSAT_TEST_CACHE_DIR") or REPO_ROOT / ".test-cache"),
        help="cache with the ML-1M stream to link (default: the tests' cache)",
    )
    parser.add_argument("--update-periods", default="1,2", help="t of the updates (m = 1)")
    parser.add_argument("--page-interval", type=float, default=5.0, help="seconds between rounds")
    parser.add_argument("--out", type=Path, help="write the measurements as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and worker logs")
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _shown(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//", url)


def link_cache(source: Path, cache_dir: Path) -> None:
    """Link the built stream and raw files, so the workers fetch and build nothing."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name in CACHE_PARTS:
        if (source / name).exists():
            (cache_dir / name).symlink_to((source / name).resolve())


def tiny_backbone(folder: Path) -> Path:
    sys.path.insert(0, str(REPO_ROOT / "tests" / "support"))
    from tiny_llm import build_tiny_model

    return build_tiny_model(folder)


@contextmanager
def private_redis_db(broker_url: str) -> Iterator[None]:
    """The broker's Redis database, emptied before and after (FLUSHDB: that number only)."""
    client = redis.Redis.from_url(broker_url)
    client.flushdb()
    try:
        yield
    finally:
        client.flushdb()
        client.close()


@contextmanager
def started_workers(settings: Settings, count: int, log_dir: Path) -> Iterator[list[str]]:
    """`count` workers, each in its own process group so that stopping one takes its pool child."""
    env = {
        **os.environ,
        "LSAT_DATA_DIR": str(settings.data_dir),
        "LSAT_DATABASE_URL": settings.database_url,
        "LSAT_BROKER_URL": settings.broker_url,
        "OMP_NUM_THREADS": "1",
    }
    names = [f"w{i + 1}@lsat-bench" for i in range(count)]
    processes = []
    try:
        for name in names:
            log_file = (log_dir / f"{name.split('@')[0]}.log").open("w")
            processes.append(
                subprocess.Popen(
                    worker_argv((CPU_QUEUE,), name=name),
                    env=env,
                    cwd=REPO_ROOT,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log_file.close()
        for name in names:
            _wait_ready(log_dir / f"{name.split('@')[0]}.log", name, timeout=180)
        yield names
    finally:
        _stop(processes)


def _wait_ready(log_path: Path, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while f"{name} ready." not in log_path.read_text():
        if time.monotonic() > deadline:
            raise TimeoutError(f"worker {name} not ready after {timeout:.0f} s (log: {log_path})")
        time.sleep(0.5)


def _stop(processes: list[subprocess.Popen]) -> None:
    # SIGTERM: Celery's warm shutdown (a running tiny task finishes); then SIGKILL.
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def comparison_configs(
    count: int, backbone: str, update_periods: str
) -> list[tuple[str, dict[str, Any]]]:
    """(name, config) of each comparison: alternating strategy sets, seed i // 2."""
    configs = []
    for index in range(count):
        strategies = STRATEGY_SETS[index % len(STRATEGY_SETS)]
        config = build_config(
            strategies=strategies,
            dataset="ml-1m",
            protocol="next-period",
            preset="quick",
            backbone=backbone,
            m=1,
            update_periods=update_periods,
            train_samples=16,
            val_samples=16,
            test_samples=24,
            seed=index // 2,
        )
        configs.append((f"load {index:02d} {strategies} seed {index // 2}", config.to_dict()))
    return configs


@dataclass
class PageSamples:
    """Render seconds by page and kind ("new session", "rerun"), and AppTest's own cost."""

    times: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    floor: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    """First line of each exception a page raised, with how many renders raised it."""

    def add(self, page: str, kind: str, seconds: float) -> None:
        self.times.setdefault(page, {}).setdefault(kind, []).append(seconds)


def run_load(
    args: argparse.Namespace, settings: Settings, engine: Engine, backbone: str
) -> dict[str, Any]:
    configs = comparison_configs(args.comparisons, backbone, args.update_periods)
    # The pages read the store and data folder of the environment (lsat_core.settings).
    os.environ["LSAT_DATA_DIR"] = str(settings.data_dir)
    os.environ["LSAT_DATABASE_URL"] = settings.database_url
    os.environ["LSAT_BROKER_URL"] = settings.broker_url
    # Imports and the dashboard's engine are made once per server process: not timed.
    AppTest.from_file(APP_DIR / "views" / "launch.py", default_timeout=300).run()
    app = client_app(settings)
    submitted_at = datetime.now(UTC)
    started = time.perf_counter()
    ids = [submit_experiment(settings, config, name, app=app) for name, config in configs]
    submit_seconds = time.perf_counter() - started
    log(f"submitted {len(ids)} comparisons in {submit_seconds:.2f} s")

    samples = PageSamples()
    deadline = started + args.timeout
    next_round = time.perf_counter()
    while True:
        statuses = _statuses(engine, ids)
        done = sum(s in TERMINAL for s in statuses.values())
        if done == len(ids) or time.perf_counter() > deadline:
            break
        if time.perf_counter() >= next_round:
            next_round = time.perf_counter() + args.page_interval
            render_round(engine, ids, samples)
            log(f"{done}/{len(ids)} finished; {_progress(engine)}")
        time.sleep(0.5)
    waited = time.perf_counter() - started
    drained = done == len(ids)
    log(f"{'drained' if drained else 'timed out'} after {waited:.0f} s")
    return summarise(
        args, settings, engine, ids, submitted_at, submit_seconds, waited, drained, samples
    )


def _statuses(engine: Engine, ids: list[int]) -> dict[int, RunStatus]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Experiment.id, Experiment.status).where(Experiment.id.in_(ids))
        )
        return {row.id: row.status for row in rows}


def _progress(engine: Engine) -> str:
    with session_scope(engine) as session:
        trained = session.scalar(
            select(func.count())
            .select_from(Artifact)
            .where(Artifact.status == ArtifactStatus.READY)
        )
        results = session.scalar(select(func.count()).select_from(PeriodResult))
    return f"{trained} models ready, {results} result rows"


def render_round(engine: Engine, ids: list[int], samples: PageSamples) -> None:
    """Each page as a visitor opens it (new session) and as its live refresh reruns it, on the
    oldest experiment still running (else the last one)."""
    with session_scope(engine) as session:
        running = session.scalar(
            select(func.min(Experiment.id)).where(
                Experiment.id.in_(ids), Experiment.status == RunStatus.RUNNING
            )
        )
        experiment = running or max(ids)
        run = session.scalar(
            select(func.min(ExperimentRun.run_id)).where(ExperimentRun.experiment_id == experiment)
        )
        stream = session.scalar(select(func.min(StreamRecord.id)))
    queries: dict[str, dict[str, int | None]] = {
        "replay.py": {"stream": stream},
        "launch.py": {},
        "monitor.py": {"experiment": experiment},
        "compare.py": {"experiment": experiment, "run": run},
        "cold_warm.py": {"experiment": experiment},
    }
    floor = _render(AppTest.from_string(TRIVIAL_PAGE))
    samples.floor.append(floor)
    for page in PAGES:
        app = AppTest.from_file(APP_DIR / "views" / page, default_timeout=300)
        app.query_params.update({k: str(v) for k, v in queries[page].items() if v is not None})
        for kind in ("new session", "rerun"):
            seconds = _render(app)
            samples.add(page, kind, seconds)
            if kind == "new session":
                samples.add(page, NET, seconds - floor)
            if app.exception:
                error = f"{page}: {str(app.exception[0].value).splitlines()[0]}"
                samples.errors[error] = samples.errors.get(error, 0) + 1


def _render(app: AppTest) -> float:
    """Seconds of one run of the page (one that raised is timed too, and reported apart)."""
    started = time.perf_counter()
    app.run()
    return time.perf_counter() - started


def summarise(
    args: argparse.Namespace,
    settings: Settings,
    engine: Engine,
    ids: list[int],
    submitted_at: datetime,
    submit_seconds: float,
    waited: float,
    drained: bool,
    samples: PageSamples,
) -> dict[str, Any]:
    with session_scope(engine) as session:
        experiments = list(
            session.scalars(
                select(Experiment).where(Experiment.id.in_(ids)).order_by(Experiment.id)
            )
        )
        statuses = {e.id: str(e.status) for e in experiments}
        errors = {e.id: e.error for e in experiments if e.error}
        finished = [e.finished_at for e in experiments if e.finished_at]
        turnaround = [
            (e.finished_at - e.created_at).total_seconds() for e in experiments if e.finished_at
        ]
        running = [
            (e.finished_at - e.started_at).total_seconds()
            for e in experiments
            if e.finished_at and e.started_at
        ]
        checks = duplicate_checks(session, len(args.update_periods.split(",")))
        tasks = task_counts(session)
        run_count = session.scalar(select(func.count()).select_from(Run))
    drain = (max(finished) - submitted_at).total_seconds() if drained and finished else None
    queued = redis.Redis.from_url(settings.broker_url).llen(CPU_QUEUE)
    failures = [
        f"experiment {i} is {s}: {errors.get(i)}" for i, s in statuses.items() if s != "succeeded"
    ]
    if not drained:
        failures.append(f"the queue did not drain within {args.timeout:.0f} s")
    failures += [f"duplicate {name}: {count}" for name, count in checks.items() if count]
    failures += [f"page failed {n} times: {error}" for error, n in samples.errors.items()]
    floor = statistics.median(samples.floor) if samples.floor else 0.0
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "comparisons": args.comparisons,
        "strategy_sets": STRATEGY_SETS,
        "update_periods": args.update_periods,
        "backbone": "tiny random LLaMA" if args.backbone is None else str(args.backbone),
        "submit_seconds": submit_seconds,
        "drain_seconds": drain,
        "waited_seconds": waited,
        "drained": drained,
        "queue_length_after": queued,
        "statuses": statuses,
        "turnaround_seconds": _spread(turnaround),
        "running_seconds": _spread(running),
        "runs": run_count,
        "tasks": tasks,
        "tasks_per_minute": 60 * tasks["completed"] / drain if drain else None,
        "duplicates": checks,
        "apptest_floor_seconds": floor,
        "pages": {
            page: {kind: _spread(values) for kind, values in kinds.items()}
            for page, kinds in samples.times.items()
        },
        "page_rounds": len(samples.floor),
        "page_errors": samples.errors,
        "failures": failures,
    }


def duplicate_checks(session: Any, updates: int) -> dict[str, int]:
    """Counts that must all be 0: result cells stored twice, artifacts stored twice under one key,
    models trained more times than they were stored, runs missing a result of an update."""
    cell = (
        PeriodResult.run_id,
        PeriodResult.train_period,
        PeriodResult.eval_period,
        PeriodResult.role,
        PeriodResult.segment,
    )
    doubled_cells = session.scalar(
        select(func.count()).select_from(
            select(*cell).group_by(*cell).having(func.count() > 1).subquery()
        )
    )
    doubled_artifacts = session.scalar(
        select(func.count()).select_from(
            select(Artifact.key).group_by(Artifact.key).having(func.count() > 1).subquery()
        )
    )
    ready = session.scalar(
        select(func.count()).select_from(Artifact).where(Artifact.status == ArtifactStatus.READY)
    )
    trainings = session.scalar(
        select(func.count()).select_from(Event).where(Event.message.like("finished train %: best%"))
    )
    per_run = (
        select(PeriodResult.run_id, func.count().label("n"))
        .where(PeriodResult.role == "model", PeriodResult.segment == Segment.ALL)
        .group_by(PeriodResult.run_id)
        .subquery()
    )
    incomplete = session.scalar(
        select(func.count())
        .select_from(Run)
        .outerjoin(per_run, per_run.c.run_id == Run.id)
        .where(func.coalesce(per_run.c.n, 0) != updates)
    )
    return {
        "result cells": doubled_cells,
        "artifact keys": doubled_artifacts,
        "models trained again": max(0, trainings - ready),
        "runs without exactly one result per update": incomplete,
    }


def task_counts(session: Any) -> dict[str, int]:
    """Tasks that ran, from the events each writes under its task id (a retry keeps its id).

    An evaluation is sent once per model it uses and runs when it finds them all ready, so two
    triggers may both run it (canvas.py: its rows are upserted, not doubled): counted apart."""
    messages = list(session.scalars(select(Event.message)))
    rerun_evaluations = session.scalar(
        select(func.count()).select_from(
            select(Event.task_key)
            .where(Event.message.like("started evaluate %"))
            .group_by(Event.task_key)
            .having(func.count() > 1)
            .subquery()
        )
    )
    ran = session.scalar(
        select(func.count(func.distinct(Event.task_key))).where(
            Event.task_key.is_not(None),
            ~Event.message.like("queued on %"),
            ~Event.message.like("submitted: %"),
        )
    )

    def count(prefix: str) -> int:
        return sum(m.startswith(prefix) for m in messages)

    return {
        "completed": ran,
        "queued": count("queued on "),
        "trainings started": count("started train"),
        "trainings finished": count("finished train"),
        "of which already trained": sum(m.endswith("already trained") for m in messages),
        "trainings skipped": count("skipped train"),
        "evaluations finished": count("finished evaluate"),
        "evaluation tasks run more than once": rerun_evaluations,
        "errors": session.scalar(
            select(func.count()).select_from(Event).where(Event.kind == "error")
        ),
    }


def _spread(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    index = min(len(ordered) - 1, round(PERCENTILE / 100 * (len(ordered) - 1)))
    return {
        "n": len(ordered),
        "min": ordered[0],
        "median": statistics.median(ordered),
        f"p{PERCENTILE}": ordered[index],
        "max": ordered[-1],
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"python {report['python']}, {report['cpus']} CPUs; {len(report['workers'])} celery "
        f"workers (concurrency 1, OMP_NUM_THREADS=1), Redis broker, {report['store']} store"
    )
    print(
        f"{report['comparisons']} comparisons ({' / '.join(report['strategy_sets'])}, updates at "
        f"t = {report['update_periods']}, {report['backbone']}), {report['runs']} runs"
    )
    print(f"submit: {report['submit_seconds']:.2f} s for all")
    drain = report["drain_seconds"]
    print(
        f"queue drained: {f'{drain:.0f} s after submission' if drain else 'NO'}"
        f" (queue length after: {report['queue_length_after']})"
    )
    for label, key in (
        ("submission to finish", "turnaround_seconds"),
        ("start to finish", "running_seconds"),
    ):
        s = report[key]
        if s["n"]:
            print(
                f"per experiment, {label}: min {s['min']:.0f} s, median {s['median']:.0f} s, "
                f"max {s['max']:.0f} s"
            )
    counts: dict[str, int] = {}
    for status in report["statuses"].values():
        counts[status] = counts.get(status, 0) + 1
    print(f"statuses: {', '.join(f'{n} {s}' for s, n in sorted(counts.items()))}")
    tasks = report["tasks"]
    rate = report["tasks_per_minute"]
    print(
        f"tasks: {tasks['completed']} ran ({tasks['trainings finished']} trainings finished, "
        f"{tasks['of which already trained']} of them already trained by another experiment; "
        f"{tasks['trainings skipped']} skipped; {tasks['evaluations finished']} evaluations, "
        f"{tasks['evaluation tasks run more than once']} tasks of them run twice or more; "
        f"{tasks['errors']} error events)" + (f", {rate:.1f} tasks/min" if rate else "")
    )
    print("duplicates: " + ", ".join(f"{name} {n}" for name, n in report["duplicates"].items()))
    floor = report["apptest_floor_seconds"]
    print(
        f"pages during the load ({report['page_rounds']} rounds; a new session includes "
        f"AppTest's own cost, median {floor:.2f} s; net = new session less that cost, per round):"
    )
    print(
        f"{'page':<13} {'kind':<12} {'median':>7} {'p95':>7} {'max':>7}  target < {TARGET_S:.0f} s"
    )
    for page, kinds in report["pages"].items():
        for kind, s in kinds.items():
            # The target applies to the server's work: net and rerun (as bench_dashboard).
            slow = s[f"p{PERCENTILE}"] >= TARGET_S
            verdict = "" if kind == "new session" else "SLOW" if slow else "ok"
            print(
                f"{page:<13} {kind:<12} {s['median']:>6.2f}s {s[f'p{PERCENTILE}']:>6.2f}s "
                f"{s['max']:>6.2f}s  {verdict}"
            )


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted: workers stopped, Redis database flushed, schema dropped")
        sys.exit(130)
