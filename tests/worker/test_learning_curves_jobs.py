"""A worker's train tasks store the learning curves of the models they train, named by their
experiment, and a task delivered again adds no point (issue 12 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from launched_jobs import launch_recorded
from ml1m_data_dir import ml1m_settings
from sqlalchemy import select
from tiny_llm import tiny_experiment

from lsat_core.store.engine import read_scope
from lsat_core.store.learning_curves import curves_frame
from lsat_core.store.models import Artifact
from worker import jobs
from worker.canvas import SeededSpec, train_task_id

pytestmark = pytest.mark.timeout(600)


def test_train_tasks_store_one_curve_per_model_once_however_often_delivered(
    tiny_model_dir: Path, tmp_path: Path, ml1m_cache: Path, monkeypatch, one_torch_thread
) -> None:
    config = tiny_experiment(tiny_model_dir, ("fine_tune",))
    launched = launch_recorded(config, ml1m_settings(tmp_path, ml1m_cache), "curves", monkeypatch)
    ctx, experiment_id = launched.ctx, launched.experiment_id
    (plan,) = launched.plans
    tasks = [
        (SeededSpec(spec, plan.seed), train_task_id(experiment_id, spec, plan.seed))
        for lineage in plan.lineages
        for spec in lineage
    ]

    def stored():
        with read_scope(ctx.engine) as session:
            return curves_frame(session, experiment_ids=[experiment_id])

    for spec, task in tasks:
        jobs.train_model(ctx, experiment_id, spec, task, "here")
    first = stored()
    for spec, task in tasks:  # every task delivered again: the models are loaded
        jobs.train_model(ctx, experiment_id, spec, task, "here")

    with read_scope(ctx.engine) as session:
        trained = set(session.scalars(select(Artifact.key)))
    assert set(first["model_key"]) == trained and len(trained) == len(tasks)
    assert first.groupby("model_key")["is_best"].sum().eq(1).all()
    assert first["finished"].all()
    assert stored().equals(first)
