"""Seeds as an axis through the worker's jobs: the launch plans every seed's models under their
own keys and task ids, and the train and evaluate jobs, run in the canvas's order, store the
same results as the in-process run (`lsat run --seeds`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import torch
from live_workers import data_dir_with_cache
from tiny_llm import tiny_experiment

from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import RunStatus
from lsat_core.store.queries import get_experiment, list_runs, results_frame
from lsat_core.store.runs import create_experiment
from worker import jobs
from worker.canvas import SeededSpec, train_task_id
from worker.context import WorkerContext
from worker.queue_client import client_app

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Both paths on one thread, so that their results agree exactly."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_the_jobs_train_each_seed_apart_and_match_the_in_process_run(
    tmp_path: Path, ml1m_cache: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tiny_experiment(tiny_model_dir, ("short_term", "lsat_en"), seeds=(0, 1))
    reference_engine, reference = run_experiment(
        config,
        Settings.for_data_dir(data_dir_with_cache(tmp_path / "ref", ml1m_cache)),
        name="in process",
    )
    with session_scope(reference_engine) as session:
        expected = results_frame(session, list(reference.run_ids.values()))

    settings = Settings.for_data_dir(data_dir_with_cache(tmp_path / "jobs", ml1m_cache))
    upgrade(settings.database_url)
    ctx = WorkerContext(settings)
    with session_scope(ctx.engine) as session:
        experiment_id = create_experiment(
            session, name="seeds", protocol=config.protocol, config=config.to_dict()
        ).id
    sent = []
    build_canvas = jobs.build_canvas

    def recorded(app, experiment_id, plans, **options):
        sent.extend(plans)
        return build_canvas(app, experiment_id, plans, **options)

    monkeypatch.setattr(jobs, "build_canvas", recorded)
    monkeypatch.setattr(jobs, "gpu_worker_present", lambda app: False)
    jobs.launch(ctx, client_app(settings), experiment_id, "launch")

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
    key = ["strategy", "seed", "train_period", "eval_period", "role", "segment"]
    columns = [*key, "n", "positives", "auc", "coefficient"]
    pd.testing.assert_frame_equal(
        actual[columns].sort_values(key).reset_index(drop=True),
        expected[columns].sort_values(key).reset_index(drop=True),
        check_exact=True,
    )
