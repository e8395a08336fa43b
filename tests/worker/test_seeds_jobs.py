"""Seeds as an axis through the worker: the launch plans every seed's models under their own
keys and task ids, and the train and evaluate jobs, run in the canvas's order here or by a real
worker process (embedded mode), store the same results as the in-process run
(`lsat run --seeds`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from launched_jobs import launch_recorded
from live_workers import (
    Workers,
    data_dir_with_cache,
    results_in_process,
    wait_for_experiment,
    worker_env,
)
from ml1m_data_dir import ml1m_settings
from tiny_llm import tiny_experiment

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import RunStatus
from lsat_core.store.queries import get_experiment, list_runs, results_frame
from worker import jobs
from worker.canvas import SeededSpec, train_task_id
from worker.queue_client import submit_experiment

pytestmark = pytest.mark.timeout(600)
KEY = ["strategy", "seed", "train_period", "eval_period", "role", "segment"]
COLUMNS = [*KEY, "n", "positives", "auc", "coefficient"]


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[COLUMNS].sort_values(KEY).reset_index(drop=True)


@pytest.fixture(scope="module")
def config(tiny_model_dir: Path) -> ExperimentConfig:
    """short_term and lsat_en (sharing their short-term LoRAs) at t = 2, 3, seeds 0 and 1."""
    return tiny_experiment(tiny_model_dir, ("short_term", "lsat_en"), seeds=(0, 1))


@pytest.fixture(scope="module")
def in_process(
    config: ExperimentConfig, ml1m_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> pd.DataFrame:
    """The same experiment run in this process on one torch thread, as a worker runs it."""
    data = data_dir_with_cache(tmp_path_factory.mktemp("in-process"), ml1m_cache)
    return comparable(results_in_process(config, data))


def test_the_jobs_train_each_seed_apart_and_match_the_in_process_run(
    config, in_process, tmp_path: Path, ml1m_cache: Path, monkeypatch, one_torch_thread
) -> None:
    launched = launch_recorded(config, ml1m_settings(tmp_path, ml1m_cache), "seeds", monkeypatch)
    ctx, experiment_id, sent = launched.ctx, launched.experiment_id, launched.plans

    assert [plan.seed for plan in sent] == [0, 1]
    assert [len(plan.models) for plan in sent] == [3, 3]  # full@2, short@2, short@3 each
    task_ids = {train_task_id(experiment_id, s, p.seed) for p in sent for s in p.models}
    assert len(task_ids) == 6
    for plan in sent:
        for lineage in plan.lineages:
            for spec in lineage:
                task = train_task_id(experiment_id, spec, plan.seed)
                jobs.train_model(ctx, experiment_id, SeededSpec(spec, plan.seed), task, "here")
        for evaluation in plan.evaluations:
            t = evaluation.step.train_period
            assert jobs.evaluate_step(ctx, experiment_id, evaluation.run_id, t, f"eval-{t}", "here")

    with session_scope(ctx.engine) as session:
        runs = list_runs(session, experiment_id)
        assert get_experiment(session, experiment_id).status == RunStatus.SUCCEEDED
        actual = results_frame(session, [run.id for run in runs])
    assert sorted((run.name, run.seed) for run in runs) == sorted(
        (f"{s}/seed{seed}", seed) for s in config.strategies for seed in (0, 1)
    )
    pd.testing.assert_frame_equal(comparable(actual), in_process, check_exact=True)


def test_a_worker_process_runs_the_seeds_like_the_in_process_run(
    config, in_process, tmp_path: Path, ml1m_cache: Path
) -> None:
    """Embedded mode (filesystem broker, SQLite), one worker on both queues: the train tasks'
    messages carry their seed."""
    settings = ml1m_settings(tmp_path, ml1m_cache)
    upgrade(settings.database_url)
    workers = Workers(worker_env(settings), tmp_path)
    engine = make_engine(settings.database_url)
    try:
        workers.start("solo", queues=("gpu", "cpu"))
        workers.wait_ready("solo")
        experiment_id = submit_experiment(settings, config.to_dict(), "two seeds")
        experiment = wait_for_experiment(engine, experiment_id)
        assert (experiment.status, experiment.error) == (RunStatus.SUCCEEDED, None)
        with session_scope(engine) as session:
            actual = results_frame(session, [run.id for run in list_runs(session, experiment_id)])
        pd.testing.assert_frame_equal(comparable(actual), in_process, check_exact=True)
    finally:
        workers.stop_all()
        engine.dispose()
