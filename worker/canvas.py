"""An experiment's work plan as one Celery canvas, with no result backend.

- Each lineage of models (lsat_core.runner.work_plan) is a chain: fine-tuning at t is sent only
  when t - 1 is trained. Lineages are independent, so the canvas is a group of them: each
  period's short-term LoRA and each full retraining fans out to whichever worker is free.
- An evaluation must start after all of its models (one that needs none, like the untuned
  in-context baseline, is sent with the lineages), which is what a chord does; a chord,
  however, needs a result backend to count its header, and its counters double-count when a
  task is delivered again (acks_late). Instead every model task links (callback) to the
  evaluations that use it; an evaluation sent before all its models are ready returns at once,
  and the link of its last model finds them ready. Readiness is read in the store, where a model
  is marked ready before its task returns, so at least one trigger always sees every model
  ready; two that both do record the same rows twice (results are upserted by cell).

An experiment with several seeds sends one plan per seed in the same group; a train task carries
its seed, since the same model spec of two seeds is two models (lsat_core.runner.work_plan).

Task ids are fixed by the experiment and the job, so a redelivered launch sends the same ids and
logs them once, and cancelling revokes them by the ids found in the experiment's events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from celery import Celery, chain, group
from celery.canvas import Signature

from lsat_core.engine.model_specs import LORA, ModelSpec
from lsat_core.runner.work_plan import Evaluation, WorkPlan
from lsat_core.strategies.registry import get_strategy
from worker.names import CPU_QUEUE, EVALUATE_STEP, GPU_QUEUE, TRAIN_MODEL

LLM_FAMILIES = frozenset({LORA})
"""Families whose training and scoring want a GPU; classic models stay on the cpu queue."""


@dataclass(frozen=True)
class SeededSpec:
    """What a train task trains: model `spec` of the runs of `seed`."""

    spec: ModelSpec
    seed: int | None
    """None: sent before experiments had seeds, so the experiment's only seed."""

    def label(self) -> str:
        return self.spec.label() if self.seed is None else f"{self.spec.label()} seed {self.seed}"


def spec_to_json(spec: ModelSpec, seed: int) -> dict[str, Any]:
    return {"family": spec.family, "role": spec.role, "period": spec.period, "seed": seed}


def spec_from_json(data: dict[str, Any]) -> SeededSpec:
    spec = ModelSpec(family=str(data["family"]), role=str(data["role"]), period=int(data["period"]))
    seed = data.get("seed")
    return SeededSpec(spec, None if seed is None else int(seed))


def train_task_id(experiment_id: int, spec: ModelSpec, seed: int) -> str:
    return f"e{experiment_id}-train-{spec.family}-{spec.role}-{spec.period}-s{seed}"


def evaluate_task_id(experiment_id: int, evaluation: Evaluation) -> str:
    return f"e{experiment_id}-eval-r{evaluation.run_id}-t{evaluation.step.train_period}"


def queue_for(family: str, gpu_worker_present: bool) -> str:
    return GPU_QUEUE if family in LLM_FAMILIES and gpu_worker_present else CPU_QUEUE


def gpu_worker_present(app: Celery, timeout: float = 1.0) -> bool:
    """Whether a live worker consumes the gpu queue (a worker consumes it only when it has a
    GPU, unless told otherwise); without one, LLM work goes to the cpu queue."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    return any(queue.get("name") == GPU_QUEUE for queues in replies.values() for queue in queues)


@dataclass(frozen=True)
class Canvas:
    signature: Signature
    tasks: tuple[tuple[str, str, str], ...]
    """(task id, what it does, queue) of every task the canvas sends."""


def build_canvas(
    app: Celery, experiment_id: int, plans: Sequence[WorkPlan], *, gpu_worker_present: bool
) -> Canvas:
    """The group of every plan's lineages and model-free evaluations (one plan per seed)."""
    members: list[Signature] = []
    tasks: list[tuple[str, str, str]] = []
    for plan in plans:
        members += _plan_members(app, experiment_id, plan, gpu_worker_present, tasks)
    return Canvas(group(members, app=app), tuple(tasks))


def _plan_members(
    app: Celery,
    experiment_id: int,
    plan: WorkPlan,
    gpu_worker_present: bool,
    tasks: list[tuple[str, str, str]],
) -> list[Signature]:
    """The lineages of one plan as chains linked to their evaluations; appends to `tasks`."""
    links: dict[ModelSpec, list[Signature]] = defaultdict(list)
    evaluations = []
    seed = f" seed {plan.seed}"
    for evaluation in plan.evaluations:
        queue = queue_for(get_strategy(evaluation.strategy).family, gpu_worker_present)
        task_id = evaluate_task_id(experiment_id, evaluation)
        signature = app.signature(
            EVALUATE_STEP,
            args=(experiment_id, evaluation.run_id, evaluation.step.train_period),
            immutable=True,
            queue=queue,
            task_id=task_id,
        )
        what = f"evaluate {evaluation.strategy}{seed} at t={evaluation.step.train_period}"
        tasks.append((task_id, what, queue))
        evaluations.append(signature)
        for spec in set(evaluation.components):
            links[spec].append(signature)
    # Evaluations that need no trained model (the untuned in-context baseline) start at once.
    lineages: list[Signature] = [
        signature
        for evaluation, signature in zip(plan.evaluations, evaluations, strict=True)
        if not evaluation.components
    ]
    for lineage in plan.lineages:
        steps = []
        for spec in lineage:
            queue = queue_for(spec.family, gpu_worker_present)
            task_id = train_task_id(experiment_id, spec, plan.seed)
            signature = app.signature(
                TRAIN_MODEL,
                args=(experiment_id, spec_to_json(spec, plan.seed)),
                immutable=True,
                queue=queue,
                task_id=task_id,
            )
            for evaluation in links[spec]:
                signature.link(evaluation)
            steps.append(signature)
            tasks.append((task_id, f"train {spec.label()}{seed}", queue))
        lineages.append(chain(*steps) if len(steps) > 1 else steps[0])
    return lineages
