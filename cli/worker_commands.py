"""`lsat up | worker | submit | status | cancel`: run LSAT Studio with Celery workers.

- `lsat up`: the README's run command. Migrates the store, then runs one local worker and the
  Streamlit dashboard together until Ctrl-C, SIGTERM or SIGHUP (cli.supervisor): on the
  embedded defaults (filesystem broker and SQLite in LSAT_DATA_DIR, no services needed) or on
  LSAT_BROKER_URL / LSAT_DATABASE_URL.
- `lsat worker`: one Celery worker (`celery -A worker.app worker`), queues gpu,cpu when this
  machine has a GPU, else cpu. One worker per GPU, concurrency 1 (one GPU task per GPU).
- `lsat submit`: the options of `lsat run`; queues the experiment and prints its id.
- `lsat status ID`, `lsat cancel ID`.

Register with `register(app)` on the main Typer app.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli import experiment_options as opt
from cli.supervisor import run_together
from lsat_core.errors import ConfigError, InputError, LsatError
from lsat_core.runner.options import DEFAULT_STRATEGIES
from lsat_core.settings import Settings, redact_url
from worker.config import DEFAULT_REDELIVERY_SECONDS, DEFAULT_RESUME_AFTER_SECONDS
from worker.names import CPU_QUEUE, GPU_QUEUE, QUEUES

QueuesOption = Annotated[
    str | None,
    typer.Option(help="Comma-separated queues (gpu, cpu); default gpu,cpu with a GPU, else cpu."),
]
ConcurrencyOption = Annotated[
    int, typer.Option(min=1, help="Tasks at once (1 with the gpu queue: one task per GPU).")
]


def register(app: typer.Typer) -> None:
    for name, command in (
        ("up", up),
        ("worker", worker),
        ("submit", submit),
        ("status", status),
        ("cancel", cancel),
    ):
        app.command(name)(command)


def parse_queues(text: str | None) -> tuple[str, ...]:
    if text is None:
        return default_queues()
    queues = tuple(q.strip() for q in text.split(",") if q.strip())
    unknown = [q for q in queues if q not in QUEUES]
    if not queues or unknown:
        raise ConfigError(f"choose from {', '.join(QUEUES)}; got {text!r}", where="--queues")
    return queues


def default_queues() -> tuple[str, ...]:
    """gpu,cpu on a machine with a CUDA device, else cpu. `device_count` asks NVML and does not
    initialise CUDA, which must not happen before the worker forks its pool."""
    import torch

    return (GPU_QUEUE, CPU_QUEUE) if torch.cuda.device_count() > 0 else (CPU_QUEUE,)


def worker_argv(
    queues: tuple[str, ...],
    *,
    concurrency: int = 1,
    name: str = "worker@%h",
    loglevel: str = "INFO",
    redelivery_after: int | None = None,
    resume_after: int | None = None,
) -> list[str]:
    """The command line of one worker process (used by `lsat worker`, `lsat up` and tests)."""
    if GPU_QUEUE in queues and concurrency != 1:
        raise ConfigError(
            "a worker on the gpu queue runs one task at a time; start one worker per GPU "
            "(CUDA_VISIBLE_DEVICES=i lsat worker) instead",
            where="--concurrency",
        )
    argv = [sys.executable, "-m", "celery", "-A", "worker.app", "worker"]
    argv += ["--queues", ",".join(queues), "--concurrency", str(concurrency)]
    argv += ["--hostname", name, "--loglevel", loglevel]
    if redelivery_after is not None:
        argv += ["--redelivery-after", str(redelivery_after)]
    if resume_after is not None:
        argv += ["--resume-after", str(resume_after)]
    return argv


def worker(
    queues: QueuesOption = None,
    concurrency: ConcurrencyOption = 1,
    name: Annotated[str, typer.Option(help="Worker name (%h: host name).")] = "worker@%h",
    loglevel: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    redelivery_after: Annotated[
        int,
        typer.Option(min=1, help="Redis: seconds before a dead worker's task is delivered again."),
    ] = DEFAULT_REDELIVERY_SECONDS,
    resume_after: Annotated[
        int,
        typer.Option(
            min=0,
            help="Resume an experiment whose queued work vanished (a broker restarted without "
            "its data) after this many seconds with nothing working on it; 0: never.",
        ),
    ] = DEFAULT_RESUME_AFTER_SECONDS,
) -> None:
    """Run one Celery worker on the broker and store of the settings (until stopped)."""
    argv = worker_argv(
        parse_queues(queues),
        concurrency=concurrency,
        name=name,
        loglevel=loglevel,
        redelivery_after=redelivery_after,
        resume_after=resume_after,
    )
    os.execv(argv[0], argv)


def up(
    queues: QueuesOption = None,
    concurrency: ConcurrencyOption = 1,
    port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8501,
    host: Annotated[
        str,
        typer.Option(
            help="Address the dashboard listens on; beyond 127.0.0.1 set LSAT_DASHBOARD_PASSWORD "
            "(without it the dashboard is read-only there)."
        ),
    ] = "127.0.0.1",
) -> None:
    """Run a local worker and the dashboard together (Ctrl-C, SIGTERM or SIGHUP stops both)."""
    from lsat_core.store.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url)
    typer.echo(
        f"store: {redact_url(settings.database_url)}\nbroker: {redact_url(settings.broker_url)}",
        err=True,
    )
    names = ("worker", "dashboard")
    exited = run_together(
        [worker_argv(parse_queues(queues), concurrency=concurrency), dashboard_argv(port, host)]
    )
    if exited is not None:
        raise LsatError(
            f"the {names[exited.index]} exited with code {exited.returncode}; stopped the other too"
        )


def dashboard_argv(port: int, host: str) -> list[str]:
    """The command that serves the dashboard. No full garbage collection after every script run
    (Streamlit's default): the Run monitor reruns its fragments every few seconds, and each
    collection of the app's heap cost more than the rerun itself (bench/monitor_cost.py)."""
    return [
        *(sys.executable, "-m", "streamlit", "run", str(dashboard_entry())),
        *("--server.port", str(port), "--server.address", host),
        *("--server.headless", "true", "--browser.gatherUsageStats", "false"),
        *("--runner.postScriptGC", "false"),
    ]


def dashboard_entry() -> Path:
    spec = importlib.util.find_spec("app")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the dashboard package `app` is not installed", where="app/main.py")
    return Path(next(iter(spec.submodule_search_locations))) / "main.py"


@opt.with_knob_options
def submit(
    strategies: opt.Strategies = DEFAULT_STRATEGIES,
    dataset: opt.Dataset = "ml-1m",
    protocol: opt.Protocol = "next-period",
    preset: opt.Preset = "quick",
    backbone: opt.Backbone = None,
    m: opt.M = None,
    update_periods: opt.UpdatePeriods = None,
    ta_reading: opt.TaReading = None,
    rank: opt.Rank = None,
    learning_rate: opt.LearningRate = None,
    epochs: opt.Epochs = None,
    loss: opt.Loss = None,
    train_samples: opt.Samples = None,
    val_samples: opt.Samples = None,
    test_samples: opt.Samples = None,
    in_context_positives: opt.InContextPositives = None,
    seed: opt.Seed = None,
    seeds: opt.Seeds = None,
    knob_values: opt.KnobValues = None,
    name: Annotated[str | None, typer.Option(help="Experiment name shown in the store.")] = None,
) -> None:
    """Queue a comparison for the workers (options as `lsat run`); prints the experiment id."""
    from lsat_core.store.migrate import upgrade
    from worker.queue_client import submit_experiment

    settings = Settings.from_env()
    config = opt.config_from_options(locals(), settings.limits)
    upgrade(settings.database_url)
    experiment_id = submit_experiment(
        settings, config.to_dict(), name or f"{preset} {protocol} {strategies}"
    )
    typer.echo(f"queued; follow it with: lsat status {experiment_id}", err=True)
    typer.echo(experiment_id)


def status(experiment_id: Annotated[int, typer.Argument(help="Experiment id.")]) -> None:
    """An experiment's status, its runs, the progress of its tasks and its latest events."""
    from lsat_core.store.engine import make_engine, session_scope
    from lsat_core.store.lifecycle import recorded_periods
    from lsat_core.store.queries import get_experiment, latest_events, list_progress, list_runs

    engine = make_engine(Settings.from_env().database_url)
    try:
        with session_scope(engine) as session:
            experiment = get_experiment(session, experiment_id)
            if experiment is None:
                raise InputError("no such experiment", where=f"experiment {experiment_id}")
            typer.echo(f"experiment {experiment.id} {experiment.name!r}: {experiment.status}")
            if experiment.error:
                typer.echo(f"  error: {experiment.error}")
            for run in list_runs(session, experiment_id):
                done = len(recorded_periods(session, run.id))
                line = f"  run {run.id} {run.strategy}: {run.status}, {done} updates recorded"
                typer.echo(line + (f" ({run.error})" if run.error else ""))
            for task in list_progress(session, experiment_id=experiment_id)[:10]:
                eta = f", eta {task.eta_seconds:.0f} s" if task.eta_seconds is not None else ""
                typer.echo(f"  task {task.task_key}: {task.message} {task.step}/{task.total}{eta}")
            for event in reversed(latest_events(session, experiment_id=experiment_id, limit=10)):
                typer.echo(f"  {event.created_at:%H:%M:%S} {event.kind}: {event.message}")
    finally:
        engine.dispose()


def cancel(experiment_id: Annotated[int, typer.Argument(help="Experiment id.")]) -> None:
    """Cancel an experiment: its runs stop at their next progress report, queued tasks are
    revoked."""
    from worker.queue_client import cancel_experiment

    outcome = cancel_experiment(Settings.from_env(), experiment_id)
    revoked = "broker unreachable" if outcome.revoked is None else f"{outcome.revoked} task ids"
    typer.echo(f"experiment {experiment_id}: {len(outcome.runs)} runs cancelled; revoked {revoked}")
