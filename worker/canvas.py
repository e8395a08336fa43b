"""An experiment's work plan as one Celery canvas, with no result backend.

- Every model task links (callback) to the tasks of the models that continue from it: fine-tuning
  at t is sent only when t - 1 is trained, and the model of t = 1, which fine-tuning, replay and
  proximal fine-tuning all continue (lsat_core.runner.work_plan), sends the three. Lineages are
  independent, so the canvas is a group of their first models: each period's short-term LoRA
  and each full retraining fans out to whichever worker is free.
- An evaluation must start after all of its models (one that needs none, like the untuned
  in-context baseline, is sent with the lineages), which is what a chord does; a chord,
  however, needs a result backend to count its header, and its counters double-count when a
  task is delivered again (acks_late). Instead every model task also links to the evaluations
  that use it; an evaluation sent before all its models are ready returns at once, and the link
  of its last model finds them ready. Readiness is read in the store, where a model is marked
  ready before its task returns, so at least one trigger always sees every model ready; two that
  both do record the same rows twice (results are upserted by cell).

A model is one task however many specs share its weights (at t = 1 full retraining, the
short-term LoRA and fine-tuning): the task trains the spec that names the model in the plan of
every run of the experiment, pending or not, and its message names the roles the model also
serves there, so the job knows every run that needs it. Its id and text are then those of the
model's weights and the experiment, whichever runs are still pending when it launches (a plan
of the pending runs alone names the model by the first of *their* specs). An experiment with
several seeds sends one plan per seed in the same group; a train task carries its seed, since
the same model spec of two seeds is two models.

Task ids are fixed by the experiment and the job, so a redelivered launch sends the same ids and
logs them once, and cancelling revokes them by the ids found in the experiment's events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from celery import Celery, group
from celery.canvas import Signature

from lsat_core.engine.model_specs import LORA, ModelSpec
from lsat_core.runner.work_plan import Evaluation, WorkPlan
from lsat_core.store import task_event_texts as texts
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
    also: tuple[str, ...] = ()
    """The other roles whose model of this family and period it is (`WorkPlan.served_by`)."""

    @property
    def specs(self) -> tuple[ModelSpec, ...]:
        """Every spec whose weights this model is, `spec` first."""
        return (self.spec, *(replace(self.spec, role=role) for role in self.also))

    def label(self) -> str:
        return self.spec.label() if self.seed is None else f"{self.spec.label()} seed {self.seed}"


def spec_to_json(spec: ModelSpec, seed: int, served: Sequence[ModelSpec] = ()) -> dict[str, Any]:
    """`served`: the specs the model serves (`WorkPlan.served_by`); they differ from `spec` in
    their role alone, since their weights are one model's."""
    also = [other.role for other in served if other != spec]
    if any(replace(other, role=spec.role) != spec for other in served):
        raise ValueError(f"{spec.label()} cannot serve another family or period: {served}")
    data = {"family": spec.family, "role": spec.role, "period": spec.period, "seed": seed}
    return data | {"also": also}


def spec_from_json(data: dict[str, Any]) -> SeededSpec:
    spec = ModelSpec(family=str(data["family"]), role=str(data["role"]), period=int(data["period"]))
    seed = data.get("seed")
    also = tuple(str(role) for role in data.get("also", ()))
    return SeededSpec(spec, None if seed is None else int(seed), also)


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
    app: Celery,
    experiment_id: int,
    plans: Sequence[WorkPlan],
    *,
    gpu_worker_present: bool,
    named_by: Sequence[WorkPlan] | None = None,
) -> Canvas:
    """The group of every plan's lineages and model-free evaluations (one plan per seed).

    `named_by`: the plans of every run of the experiment (one per seed, planned with the same
    part sizes), which name each model's task; by default `plans`, which are those when every
    run is pending."""
    naming = {plan.seed: plan for plan in (plans if named_by is None else named_by)}
    members: list[Signature] = []
    tasks: list[tuple[str, str, str]] = []
    for plan in plans:
        members += _plan_members(
            app, experiment_id, plan, naming[plan.seed], gpu_worker_present, tasks
        )
    return Canvas(group(members, app=app), tuple(tasks))


def _plan_members(
    app: Celery,
    experiment_id: int,
    plan: WorkPlan,
    naming: WorkPlan,
    gpu_worker_present: bool,
    tasks: list[tuple[str, str, str]],
) -> list[Signature]:
    """The plan's lineages, each from its first model, and its model-free evaluations; appends
    every task to `tasks`, models in training order. Each model's task trains the spec that
    `naming` (the plan of all the seed's runs) names it by, for the roles it serves there."""
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
        what = texts.evaluate(f"{evaluation.strategy}{seed}", evaluation.step.train_period)
        tasks.append((task_id, what, queue))
        evaluations.append(signature)
        # Two components with one model (at t = 1) wait on that model once.
        for model in dict.fromkeys(plan.model_of(spec) for spec in evaluation.components):
            links[model].append(signature)
    trains: dict[ModelSpec, Signature] = {}
    for model in plan.models:
        named = naming.model_of(model)
        served = naming.served_by(named)
        queue = queue_for(model.family, gpu_worker_present)
        task_id = train_task_id(experiment_id, named, plan.seed)
        trains[model] = app.signature(
            TRAIN_MODEL,
            args=(experiment_id, spec_to_json(named, plan.seed, served)),
            immutable=True,
            queue=queue,
            task_id=task_id,
        )
        also = [spec.label().partition(":")[2] for spec in served if spec != named]
        tasks.append((task_id, texts.train(f"{named.label()}{seed}", also), queue))
    for model, signature in trains.items():
        # The models continuing from it first: they are the serial part of the work.
        for child in plan.continued_by(model):
            signature.link(trains[child])
        for evaluation in links[model]:
            signature.link(evaluation)
    # Evaluations that need no trained model (the untuned in-context baseline) start at once.
    direct = [
        signature
        for evaluation, signature in zip(plan.evaluations, evaluations, strict=True)
        if not evaluation.components
    ]
    return direct + [trains[lineage[0]] for lineage in plan.lineages]
