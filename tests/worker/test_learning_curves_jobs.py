"""A worker's train tasks store the learning curves of the models they train, named by their
experiment, and a task delivered again adds no point (issue 12 item 4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from live_workers import data_dir_with_cache
from sqlalchemy import select
from tiny_llm import tiny_experiment

from lsat_core.settings import Settings
from lsat_core.store.engine import read_scope, session_scope
from lsat_core.store.learning_curves import curves_frame
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact
from lsat_core.store.runs import create_experiment
from worker import jobs
from worker.canvas import SeededSpec, train_task_id
from worker.context import WorkerContext
from worker.queue_client import client_app

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_train_tasks_store_one_curve_per_model_once_however_often_delivered(
    tiny_model_dir: Path, tmp_path: Path, ml1m_cache: Path, monkeypatch, one_torch_thread
) -> None:
    config = tiny_experiment(tiny_model_dir, ("fine_tune",))
    settings = Settings.for_data_dir(data_dir_with_cache(tmp_path, ml1m_cache))
    upgrade(settings.database_url)
    ctx = WorkerContext(settings)
    with session_scope(ctx.engine) as session:
        experiment_id = create_experiment(
            session, name="curves", protocol=config.protocol, config=config.to_dict()
        ).id
    sent = []
    build_canvas = jobs.build_canvas

    def recorded(app, experiment_id, plans, **options):
        sent.extend(plans)
        return build_canvas(app, experiment_id, plans, **options)

    monkeypatch.setattr(jobs, "build_canvas", recorded)
    monkeypatch.setattr(jobs, "gpu_worker_present", lambda app: False)
    jobs.launch(ctx, client_app(settings), experiment_id, "launch")
    (plan,) = sent
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
