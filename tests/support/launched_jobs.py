"""An experiment launched through `worker.jobs.launch` with its canvas recorded instead of only
sent, so a worker test can run the planned train and evaluate jobs itself, here, in order."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.runner.work_plan import WorkPlan
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.runs import create_experiment
from worker import jobs
from worker.context import WorkerContext
from worker.queue_client import client_app


@dataclass(frozen=True)
class LaunchedHere:
    ctx: WorkerContext
    experiment_id: int
    plans: list[WorkPlan]
    """The seed plans the launch built its canvas from, in order."""


def launch_recorded(
    config: ExperimentConfig, settings: Settings, name: str, monkeypatch: pytest.MonkeyPatch
) -> LaunchedHere:
    """`config` stored as experiment `name` in the freshly migrated store of `settings` and
    launched with no GPU worker present, its canvas's plans recorded."""
    upgrade(settings.database_url)
    ctx = WorkerContext(settings)
    with session_scope(ctx.engine) as session:
        experiment_id = create_experiment(
            session, name=name, protocol=config.protocol, config=config.to_dict()
        ).id
    plans = []
    build_canvas = jobs.build_canvas

    def recorded(app, experiment_id, seed_plans, **options):
        plans.extend(seed_plans)
        return build_canvas(app, experiment_id, seed_plans, **options)

    monkeypatch.setattr(jobs, "build_canvas", recorded)
    monkeypatch.setattr(jobs, "gpu_worker_present", lambda app: False)
    jobs.launch(ctx, client_app(settings), experiment_id, "launch")
    return LaunchedHere(ctx, experiment_id, plans)
