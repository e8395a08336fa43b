"""A model shared by several specs is one task: with updates at t = 1, full retraining, the
short-term LoRA, fine-tuning and replay train one model of t = 1, which fine-tuning and replay
then both continue. The launch plans it once (as many train tasks as models, which the estimate
and the experiment's progress count alike), a launch and its tasks delivered again send the same
ids and train nothing twice, and the jobs, run in the canvas's order here or by a real worker
process (embedded mode), store the same results as the in-process run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from launched_jobs import launch_recorded, train_tasks
from live_workers import (
    Workers,
    comparable,
    data_dir_with_cache,
    experiment_results,
    results_in_process,
    task_events,
    wait_for_experiment,
    worker_env,
)
from ml1m_data_dir import ml1m_settings
from sqlalchemy import func, select
from tiny_llm import tiny_experiment

from app.work_estimate import estimate_work
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.store import task_event_texts as texts
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.experiment_progress import TRAIN, experiment_progress
from lsat_core.store.lifecycle import set_run_status
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact, RunStatus
from lsat_core.store.queries import get_experiment, list_runs
from worker import jobs
from worker.queue_client import client_app, submit_experiment

pytestmark = pytest.mark.timeout(600)
STRATEGIES = ("full_retrain", "short_term", "fine_tune", "replay")
MODELS = 5
"""lora:fine_tune@1 (also full@1, replay@1, short@1), fine_tune@2, replay@2, full@2, short@2."""


@pytest.fixture(scope="module")
def config(tiny_model_dir: Path) -> ExperimentConfig:
    return tiny_experiment(tiny_model_dir, STRATEGIES, long_term_period=1, update_periods=(1, 2))


@pytest.fixture(scope="module")
def in_process(
    config: ExperimentConfig, ml1m_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> pd.DataFrame:
    data = data_dir_with_cache(tmp_path_factory.mktemp("in-process"), ml1m_cache)
    return comparable(results_in_process(config, data))


def test_the_launch_plans_one_task_per_model_and_the_jobs_match_the_in_process_run(
    config, in_process, tmp_path: Path, ml1m_cache: Path, monkeypatch, one_torch_thread
) -> None:
    settings = ml1m_settings(tmp_path, ml1m_cache)
    launched = launch_recorded(config, settings, "shared", monkeypatch)
    ctx, experiment_id = launched.ctx, launched.experiment_id
    tasks = launched.train_tasks()
    assert [(model.label(), model.also) for model, _ in tasks] == [
        ("lora:fine_tune@1 seed 0", ("full", "replay", "short")),
        ("lora:fine_tune@2 seed 0", ()),
        ("lora:replay@2 seed 0", ()),
        ("lora:full@2 seed 0", ()),
        ("lora:short@2 seed 0", ()),
    ]
    assert len(tasks) == MODELS == estimate_work(config, None).llm_models
    # The launch delivered again (recorded too) sends the same tasks under the same ids.
    jobs.launch(ctx, client_app(settings), experiment_id, "launch")
    assert train_tasks(launched.canvases[1]) == tasks

    for _ in range(2):  # every task delivered twice: the second finds its model trained
        for model, task_id in tasks:
            jobs.train_model(ctx, experiment_id, model, task_id, "here")
    plan = launched.plans[0]
    for evaluation in plan.evaluations:
        t = evaluation.step.train_period
        assert jobs.evaluate_step(ctx, experiment_id, evaluation.run_id, t, f"eval-{t}", "here")

    with session_scope(ctx.engine) as session:
        assert get_experiment(session, experiment_id).status == RunStatus.SUCCEEDED
        assert session.scalar(select(func.count()).select_from(Artifact)) == MODELS
        progress = experiment_progress(session, experiment_id)
    assert progress.count(TRAIN) == progress.count(TRAIN, ended=True) == MODELS
    trained = [texts.trained_label(e.message) for e in task_events(ctx.engine, experiment_id)]
    assert sorted(label for label in trained if label) == sorted(m.label() for m, _ in tasks)
    pd.testing.assert_frame_equal(
        experiment_results(ctx.engine, experiment_id), in_process, check_exact=True
    )


def test_a_relaunch_with_fewer_runs_pending_names_the_shared_model_as_the_first_launch(
    config, tmp_path: Path, ml1m_cache: Path, monkeypatch
) -> None:
    """Launched again once fine-tuning and replay succeeded (a resume), the model of t = 1 that
    full retraining and the short-term LoRA still need is sent under the first launch's id and
    text, which its queued event and cancelling go by."""
    settings = ml1m_settings(tmp_path, ml1m_cache)
    launched = launch_recorded(config, settings, "relaunched", monkeypatch)
    ctx, experiment_id = launched.ctx, launched.experiment_id
    with session_scope(ctx.engine) as session:
        for run in list_runs(session, experiment_id):
            if run.strategy in ("fine_tune", "replay"):
                set_run_status(session, run.id, RunStatus.SUCCEEDED)
    jobs.launch(ctx, client_app(settings), experiment_id, "launch")
    first, again = (canvas.tasks for canvas in launched.canvases)
    trains = [task for task in again if "-train-" in task[0]]
    assert [task_id.partition("-")[2] for task_id, _, _ in trains] == [
        "train-lora-fine_tune-1-s0",
        "train-lora-full-2-s0",
        "train-lora-short-2-s0",
    ]
    assert set(trains) <= set(first)


def test_a_worker_process_sends_the_models_continuing_a_shared_one(
    config, in_process, tmp_path: Path, ml1m_cache: Path
) -> None:
    """The model of t = 1 sends fine-tuning's and replay's models of t = 2 and the three
    evaluations of t = 1 (its links), on the filesystem broker and SQLite."""
    settings = ml1m_settings(tmp_path, ml1m_cache)
    upgrade(settings.database_url)
    workers = Workers(worker_env(settings), tmp_path)
    engine = make_engine(settings.database_url)
    try:
        workers.start("solo", queues=("gpu", "cpu"))
        workers.wait_ready("solo")
        experiment_id = submit_experiment(settings, config.to_dict(), "shared t = 1")
        experiment = wait_for_experiment(engine, experiment_id)
        assert (experiment.status, experiment.error) == (RunStatus.SUCCEEDED, None)
        pd.testing.assert_frame_equal(
            experiment_results(engine, experiment_id), in_process, check_exact=True
        )
        with session_scope(engine) as session:
            progress = experiment_progress(session, experiment_id)
        assert progress.count(TRAIN) == progress.count(TRAIN, ended=True) == MODELS
    finally:
        workers.stop_all()
        engine.dispose()
