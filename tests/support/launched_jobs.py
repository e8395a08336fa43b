"""An experiment launched through `worker.jobs.launch` with its canvas recorded instead of only
sent, so a worker test can run the planned train and evaluate jobs itself, here, in order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pytest

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.runner.work_plan import WorkPlan
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.runs import create_experiment
from worker import jobs
from worker.canvas import Canvas, SeededSpec, spec_from_json
from worker.context import WorkerContext
from worker.names import TRAIN_MODEL
from worker.queue_client import client_app


@dataclass(frozen=True)
class LaunchedHere:
    ctx: WorkerContext
    experiment_id: int
    plans: list[WorkPlan]
    """The seed plans the launch built its canvas from, in order."""
    canvases: list[Canvas]
    """What the launch sent."""

    def train_tasks(self) -> list[tuple[SeededSpec, str]]:
        """Every train task the launch sent (`train_tasks`), canvas by canvas."""
        return [task for canvas in self.canvases for task in train_tasks(canvas)]


def train_tasks(canvas: Canvas) -> list[tuple[SeededSpec, str]]:
    """Every train task of `canvas`, as its message reads (model, seed, the roles it also
    serves) with its task id, each after the task that sends it."""
    return [
        (spec_from_json(signature["args"][1]), signature["options"]["task_id"])
        for signature in _trains(canvas.signature.tasks)
    ]


def _trains(signatures: Iterable) -> Iterator:
    for signature in signatures:
        if signature["task"] == TRAIN_MODEL:
            yield signature
            yield from _trains(signature["options"].get("link", []))


def launch_recorded(
    config: ExperimentConfig, settings: Settings, name: str, monkeypatch: pytest.MonkeyPatch
) -> LaunchedHere:
    """`config` stored as experiment `name` in the freshly migrated store of `settings` and
    launched with no GPU worker present, its canvas and plans recorded (and those of any
    launch later in the test)."""
    upgrade(settings.database_url)
    ctx = WorkerContext(settings)
    with session_scope(ctx.engine) as session:
        experiment_id = create_experiment(
            session, name=name, protocol=config.protocol, config=config.to_dict()
        ).id
    plans, canvases = [], []
    build_canvas = jobs.build_canvas

    def recorded(app, experiment_id, seed_plans, **options):
        plans.extend(seed_plans)
        canvases.append(build_canvas(app, experiment_id, seed_plans, **options))
        return canvases[-1]

    monkeypatch.setattr(jobs, "build_canvas", recorded)
    monkeypatch.setattr(jobs, "gpu_worker_present", lambda app: False)
    jobs.launch(ctx, client_app(settings), experiment_id, "launch")
    return LaunchedHere(ctx, experiment_id, plans, canvases)
