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

Task ids are fixed by the experiment and the job, so a redelivered launch sends the same ids and
logs them once, and cancelling revokes them by the ids found in the experiment's events.
"""

from __future__ import annotations

from collections import defaultdict
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


def spec_to_json(spec: ModelSpec) -> dict[str, Any]:
    return {"family": spec.family, "role": spec.role, "period": spec.period}


def spec_from_json(data: dict[str, Any]) -> ModelSpec:
    return ModelSpec(family=str(data["family"]), role=str(data["role"]), period=int(data["period"]))


def train_task_id(experiment_id: int, spec: ModelSpec) -> str:
    return f"e{experiment_id}-train-{spec.family}-{spec.role}-{spec.period}"


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
    app: Celery, experiment_id: int, plan: WorkPlan, *, gpu_worker_present: bool
) -> Canvas:
    tasks: list[tuple[str, str, str]] = []
    links: dict[ModelSpec, list[Signature]] = defaultdict(list)
    evaluations = []
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
        tasks.append(
            (task_id, f"evaluate {evaluation.strategy} at t={evaluation.step.train_period}", queue)
        )
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
            task_id = train_task_id(experiment_id, spec)
            signature = app.signature(
                TRAIN_MODEL,
                args=(experiment_id, spec_to_json(spec)),
                immutable=True,
                queue=queue,
                task_id=task_id,
            )
            for evaluation in links[spec]:
                signature.link(evaluation)
            steps.append(signature)
            tasks.append((task_id, f"train {spec.label()}", queue))
        lineages.append(chain(*steps) if len(steps) > 1 else steps[0])
    return Canvas(group(lineages, app=app), tuple(tasks))
