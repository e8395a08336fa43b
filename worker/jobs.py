"""What each task does, over lsat_core; the Celery side (retries, ids) is in `worker.tasks`.

Every job takes ids, re-reads the experiment from the store, and is idempotent by its key:
- launch: runs (one per strategy and seed) are get-or-created by their config key, already
  succeeded runs are not redone, and the canvas it sends has fixed task ids;
- train: `Workbench.model` is get-or-train by model key (a ready model is loaded, not retrained;
  a claim held by this same task id, i.e. a redelivered task, is re-acquired);
- evaluate: results are upserted by cell, one delivery at a time evaluates a step (a work lock),
  and a run is marked succeeded once, by whichever evaluation completes its planned updates.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.runner.period_loop import bench_device, prepare_runs, run_step
from lsat_core.runner.work_plan import (
    WorkPlan,
    components,
    experiment_steps,
    plan_seeds,
    step_of,
    strategies_needing,
)
from lsat_core.store import task_event_texts as texts
from lsat_core.store.artifacts import get_artifact
from lsat_core.store.engine import session_scope
from lsat_core.store.events import record_event
from lsat_core.store.lifecycle import (
    ACTIVE,
    fail_experiment,
    fail_runs,
    finish_run_if_complete,
    recorded_periods,
    settle_experiment,
    start_runs,
)
from lsat_core.store.models import ArtifactStatus, EventKind, Run
from lsat_core.store.queries import get_experiment, list_runs
from lsat_core.store.work_locks import work_lock
from worker.canvas import SeededSpec, build_canvas, gpu_worker_present
from worker.context import WorkerContext
from worker.reporting import TaskReporter

logger = logging.getLogger(__name__)


def task_owner(task_id: str) -> str:
    """The claim owner of a task's models: the task id, so that the same task delivered again
    (to any host, after its worker died) re-acquires its claim at once instead of waiting for
    the claim to go stale; another task needing the model waits (ModelBusyError)."""
    return f"celery-task:{task_id}"


def launch(ctx: WorkerContext, app: Celery, experiment_id: int, task_id: str) -> None:
    with session_scope(ctx.engine) as session:
        experiment = get_experiment(session, experiment_id)
        status = experiment.status if experiment is not None else None
    reporter = TaskReporter(ctx.engine, task_id, experiment_id, run_ids=())
    if status not in ACTIVE:
        logger.info("experiment %s is %s: not launched", experiment_id, status)
        return
    config = ctx.experiment_config(experiment_id)
    bench = ctx.workbench(experiment_id, config, config.seed)
    prepared = prepare_runs(ctx.engine, experiment_id, config, bench.stream)
    with session_scope(ctx.engine) as session:
        pending = start_runs(session, experiment_id, prepared.run_ids)
    if not pending:
        with session_scope(ctx.engine) as session:
            settle_experiment(session, experiment_id)
        reporter.event("every run was already done (same config): nothing to train")
        return
    started = set(pending.values())

    def plans_of(among: set[int] | None) -> tuple[WorkPlan, ...]:
        runs = {seed: prepared.seed_runs(seed, among=among) for seed in config.seeds}
        return plan_seeds(config, runs, lambda part: len(bench.samples(*part)))

    plans = plans_of(started)
    # Every run's plan names the models, so a relaunch with fewer runs pending sends the same ids.
    canvas = build_canvas(
        app,
        experiment_id,
        plans,
        gpu_worker_present=gpu_worker_present(app),
        named_by=plans_of(None),
    )
    # Logged before sending: cancelling finds every id it must revoke in the events.
    with session_scope(ctx.engine) as session:
        for queued_id, what, queue in canvas.tasks:
            record_event(
                session,
                texts.queued(queue, what),
                experiment_id=experiment_id,
                task_key=queued_id,
            )
    canvas.signature.apply_async()
    models, chains, evaluations = (
        sum(len(getattr(plan, part)) for plan in plans)
        for part in ("models", "lineages", "evaluations")
    )
    reporter.event(
        f"launched {len(pending)} runs: {models} models in {chains} lineages, "
        f"{evaluations} evaluations"
    )


def fail_launch(ctx: WorkerContext, experiment_id: int, task_id: str, error: str) -> None:
    message = f"launch failed: {error}"
    with session_scope(ctx.engine) as session:
        fail_experiment(session, experiment_id, message)
        _error_event(session, experiment_id, task_id, message)


def _runs_needing(
    ctx: WorkerContext, experiment_id: int, config: ExperimentConfig, model: SeededSpec
) -> tuple[int, ...]:
    """The runs of the model's seed whose updates need it."""
    seed = _seed_of(config, model)
    with session_scope(ctx.engine) as session:
        runs = {
            run.strategy: run.id for run in list_runs(session, experiment_id) if run.seed == seed
        }
    return tuple(runs[s] for s in strategies_needing(config.for_seed(seed), runs, model.specs))


def _seed_of(config: ExperimentConfig, model: SeededSpec) -> int:
    return config.seed if model.seed is None else model.seed


def train_model(
    ctx: WorkerContext, experiment_id: int, model: SeededSpec, task_id: str, host: str
) -> None:
    config = ctx.experiment_config(experiment_id)
    reporter = TaskReporter(
        ctx.engine, task_id, experiment_id, run_ids=_runs_needing(ctx, experiment_id, config, model)
    )
    what = texts.train(model.label())
    if not reporter.still_wanted():
        reporter.event(texts.skipped(what, "no active run needs it"))
        return
    seed = _seed_of(config, model)
    trained_here = ReportTrained(experiment_id, task_id, reporter.run_id, seed)
    bench = _bench_for_task(ctx, experiment_id, config, seed, task_id, reporter, trained_here)
    reporter.event(texts.started(what, host))
    bench.model(model.spec)
    if model.spec not in trained_here.specs:
        # Loaded, not trained (here): found ready, or trained by this process's earlier task.
        reporter.event(texts.finished(what, texts.ALREADY_TRAINED))


@dataclass(eq=False)
class ReportTrained:
    """A task's `Workbench.on_ready`: writes "finished train" in the transaction that marks the
    model ready, so no stop of the task can leave a ready model without it or write it twice
    (a redelivered task then finds the model ready: "already trained"); remembers what it
    trained. A model the task trains on the way (a parent whose files were lost) is reported
    under its own label."""

    experiment_id: int
    task_id: str
    run_id: int | None
    seed: int
    specs: set[ModelSpec] = field(default_factory=set)

    def __call__(self, session: Session, spec: ModelSpec, metrics: Mapping[str, Any]) -> None:
        seconds = float(metrics.get("seconds") or 0.0)
        outcome = (
            f"best validation AUC {metrics.get('best_val_auc')}, "
            f"{metrics.get('samples_trained')} samples in {seconds:.1f} s"
        )
        record_event(
            session,
            texts.finished(texts.train(SeededSpec(spec, self.seed).label()), outcome),
            experiment_id=self.experiment_id,
            run_id=self.run_id,
            task_key=self.task_id,
        )
        self.specs.add(spec)


def fail_model(
    ctx: WorkerContext, experiment_id: int, model: SeededSpec, task_id: str, error: str
) -> list[int]:
    """Fail the runs that need the model (directly or through a model continuing from it)."""
    config = ctx.experiment_config(experiment_id)
    run_ids = _runs_needing(ctx, experiment_id, config, model)
    message = f"training {model.label()} failed: {error}"
    with session_scope(ctx.engine) as session:
        _error_event(session, experiment_id, task_id, message)
        return fail_runs(session, experiment_id, run_ids, message)


def evaluate_step(
    ctx: WorkerContext, experiment_id: int, run_id: int, train_period: int, task_id: str, host: str
) -> bool:
    """Update and test the run at `train_period` once its models are ready; returns whether it
    ran. It does not when a model is not ready yet (the model task that readies it sends this
    again) or when the step's results are already stored (another trigger of the same step, or
    a redelivery after the results were written): then it only finishes the run if complete."""
    reporter = TaskReporter(ctx.engine, task_id, experiment_id, run_ids=(run_id,), run_id=run_id)
    if not reporter.still_wanted():
        return False
    with session_scope(ctx.engine) as session:
        run = session.get_one(Run, run_id)
        strategy, seed = run.strategy, run.seed
        recorded = train_period in recorded_periods(session, run_id)
    stored = ctx.experiment_config(experiment_id)
    config = stored.for_seed(seed)
    trained_here = ReportTrained(experiment_id, task_id, run_id, seed)
    bench = _bench_for_task(ctx, experiment_id, stored, seed, task_id, reporter, trained_here)
    what = f"{strategy} seed {seed}" if len(stored.seeds) > 1 else strategy
    if not recorded:
        if not _models_ready(ctx, bench, components(config, strategy, train_period)):
            return False
        # Two model tasks finishing together both send this step: the second leaves it to the
        # first. A crashed holder's lock goes with it, and its own task is delivered again.
        with work_lock(ctx.engine, f"evaluate:{run_id}:{train_period}") as held:
            if not held:
                return False
            with session_scope(ctx.engine) as session:
                recorded = train_period in recorded_periods(session, run_id)
            if not recorded:
                reporter.event(texts.started(texts.evaluate(what, train_period), host))
                run_step(ctx.engine, bench, run_id, strategy, step_of(config, train_period))
    finished = _finish_if_complete(ctx, bench, experiment_id, run_id, config)
    if not recorded:
        reporter.event(
            texts.finished(
                texts.evaluate(what, train_period), "run succeeded" if finished else None
            )
        )
    return not recorded


def _finish_if_complete(
    ctx: WorkerContext, bench: Workbench, experiment_id: int, run_id: int, config: ExperimentConfig
) -> bool:
    planned = {step.train_period for step in experiment_steps(config)}
    with session_scope(ctx.engine) as session:
        if not planned <= recorded_periods(session, run_id):
            return False
    device = bench_device(bench)  # outside the transaction: it may load the backbone
    with session_scope(ctx.engine) as session:
        return finish_run_if_complete(session, experiment_id, run_id, planned, device=device)


def fail_evaluation(
    ctx: WorkerContext, experiment_id: int, run_id: int, train_period: int, task_id: str, error: str
) -> None:
    message = f"evaluation at t={train_period} failed: {error}"
    with session_scope(ctx.engine) as session:
        _error_event(session, experiment_id, task_id, message, run_id=run_id)
        fail_runs(session, experiment_id, (run_id,), message)


def _bench_for_task(
    ctx: WorkerContext,
    experiment_id: int,
    config: ExperimentConfig,
    seed: int,
    task_id: str,
    reporter: TaskReporter,
    trained_here: ReportTrained,
) -> Workbench:
    bench = ctx.workbench(experiment_id, config, seed)
    bench.owner = task_owner(task_id)
    bench.progress = reporter
    bench.on_ready = trained_here
    bench.experiment_id = experiment_id
    return bench


def _models_ready(ctx: WorkerContext, bench: Workbench, specs: tuple[ModelSpec, ...]) -> bool:
    keys = [bench.model_key(spec) for spec in specs]
    with session_scope(ctx.engine) as session:
        artifacts = [get_artifact(session, key) for key in keys]
    return all(a is not None and a.status == ArtifactStatus.READY for a in artifacts)


def _error_event(
    session: Session, experiment_id: int, task_id: str, message: str, run_id: int | None = None
) -> None:
    record_event(
        session,
        message,
        kind=EventKind.ERROR,
        experiment_id=experiment_id,
        run_id=run_id,
        task_key=task_id,
    )
