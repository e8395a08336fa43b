"""Real `celery worker` processes on a real store and broker, for the worker and fault tests.

The small comparison (tiny LLM, tiny budgets, four strategies), the same comparison run in this
process as the reference its results must equal, worker processes started as `lsat worker`
starts them, and ways to wait on and read what the workers wrote to the store.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ml1m_data_dir import data_dir_with_cache
from sqlalchemy import Engine, select
from tiny_llm import tiny_experiment

from cli.worker_commands import worker_argv
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Event, Experiment, RunStatus
from lsat_core.store.queries import list_runs, results_frame

REPO_ROOT = Path(__file__).resolve().parents[2]

REDELIVERY_SECONDS = 20
"""Short, so a killed worker's task comes back within the test; longer than any task here."""
TERMINAL = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)

STRATEGIES = ("full_retrain", "fine_tune", "lsat_en", "lsat_ta")
COMPARED = ["strategy", "train_period", "eval_period", "role", "segment", "n", "positives"]
"""What identifies a result cell and its test set; the AUC and coefficient are compared exactly."""

_REFERENCES: dict[tuple[Path, Path], pd.DataFrame] = {}
"""The reference results per (model, cache), shared by every conftest that uses the fixture."""


@pytest.fixture(scope="session")
def tiny_config(tiny_model_dir: Path) -> Callable[..., ExperimentConfig]:
    """The small comparison: four strategies, updates at t = 2 and 3 (m = 2), tiny budgets.

    `seed` changes only the experiment's seed, which is hashed into run and model keys but
    drives neither sampling (the budget's seed) nor training (the LoRA seed): the same work
    under new keys, so the results must equal the seed-0 reference exactly.
    """

    def make(seed: int = 0, **overrides: Any) -> ExperimentConfig:
        strategies = overrides.pop("strategies", STRATEGIES)
        return tiny_experiment(tiny_model_dir, strategies, seed=seed, **overrides)

    return make


@pytest.fixture(scope="session")
def reference_results(
    tiny_config: Callable[..., ExperimentConfig],
    tiny_model_dir: Path,
    ml1m_cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> pd.DataFrame:
    """The small comparison run in this process (`lsat run`), one torch thread as the workers;
    run once per pytest process however many test packages import this fixture."""
    if (tiny_model_dir, ml1m_cache) not in _REFERENCES:
        _REFERENCES[(tiny_model_dir, ml1m_cache)] = _run_reference(
            tiny_config(), data_dir_with_cache(tmp_path_factory.mktemp("ref"), ml1m_cache)
        )
    return _REFERENCES[(tiny_model_dir, ml1m_cache)]


def _run_reference(config: ExperimentConfig, data_dir: Path) -> pd.DataFrame:
    return comparable(results_in_process(config, data_dir))


def results_in_process(config: ExperimentConfig, data_dir: Path) -> pd.DataFrame:
    """The results of `config` run in this process (`lsat run`) on one torch thread, as a
    worker runs it, in the store of `data_dir`."""
    import torch

    from lsat_core.runner.in_process import run_experiment

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        engine, prepared = run_experiment(config, Settings.for_data_dir(data_dir), name="reference")
    finally:
        torch.set_num_threads(threads)
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
    engine.dispose()
    return frame


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    columns = [*COMPARED, "auc", "coefficient"]
    return frame[columns].sort_values(COMPARED).reset_index(drop=True)


class Workers:
    """Worker processes started as `lsat worker` starts them, each in its own process group
    (so a SIGKILL takes its pool children too), with their logs in `log_dir`."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, queues: tuple[str, ...] = ("cpu",), **options: Any) -> None:
        hostname = f"{name}@lsat-test"
        log = self.log_dir / f"{name}.log"
        self.processes[name] = subprocess.Popen(
            worker_argv(queues, name=hostname, **options),
            env=self.env,
            cwd=REPO_ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, *names: str, timeout: float = 120) -> None:
        for name in names:
            log = self.log_dir / f"{name}.log"
            wait_until(
                lambda log=log, name=name: f"{name}@lsat-test ready." in log.read_text(),
                timeout,
                f"worker {name} to start (log: {log})",
            )

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def worker_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "LSAT_DATA_DIR": str(settings.data_dir),
        "LSAT_DATABASE_URL": settings.database_url,
        "LSAT_BROKER_URL": settings.broker_url,
        # One torch thread per worker: two workers share the two cores, and the reference run
        # uses one thread too, so the floating-point results are the same.
        "OMP_NUM_THREADS": "1",
    }


@dataclass
class Cluster:
    settings: Settings
    engine: Engine
    workers: Workers


def wait_for_experiment(engine: Engine, experiment_id: int, timeout: float = 240) -> Experiment:
    def finished() -> Experiment | None:
        with session_scope(engine) as session:
            experiment = session.get_one(Experiment, experiment_id)
        return experiment if experiment.status in TERMINAL else None

    return wait_until(finished, timeout, f"experiment {experiment_id} to finish", interval=0.5)


def experiment_results(engine: Engine, experiment_id: int) -> pd.DataFrame:
    with session_scope(engine) as session:
        run_ids = [run.id for run in list_runs(session, experiment_id)]
        return comparable(results_frame(session, run_ids))


def task_events(engine: Engine, experiment_id: int) -> list[Event]:
    with session_scope(engine) as session:
        statement = select(Event).where(Event.experiment_id == experiment_id).order_by(Event.id)
        return list(session.scalars(statement))


def train_intervals(events: list[Event]) -> dict[str, tuple[datetime, datetime, str]]:
    """task id -> (start, finish, worker) of each model training, from the stored events."""
    starts = {
        e.task_key: (e.created_at, e.message.rsplit(" on ", 1)[1])
        for e in events
        if e.message.startswith("started train")
    }
    return {
        e.task_key: (starts[e.task_key][0], e.created_at, starts[e.task_key][1])
        for e in events
        if e.message.startswith("finished train") and e.task_key in starts
    }
