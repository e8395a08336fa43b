"""An experiment's work as separate jobs: the models to train and the evaluations that use them.

Workers split what `execute_experiment` does in one process. Strategies declare the models each
update needs before anything is trained (`Strategy.components`), so the whole plan is known up
front: every distinct model once (shared models are trained once however many runs need them),
grouped into lineages, and one evaluation per (run, step) that can start as soon as its own
models are ready. A lineage is a chain of models where each continues from the previous one
(fine-tuning: `ModelSpec.parent`); models without a parent are lineages of one, independent of
each other, so they can train in parallel on different workers.

An experiment with several seeds is one plan per seed (`plan_seeds`): a seed's models are keyed
by its config (`ExperimentConfig.for_seed`), so models are shared across strategies within a
seed and never across seeds, and the experiment trains k times the models of one seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import ModelSpec
from lsat_core.evaluation.protocols import EvalStep, plan_steps
from lsat_core.strategies.registry import get_strategy


@dataclass(frozen=True)
class Evaluation:
    """Update `strategy` at `step.train_period` and test it (the period loop's `run_step`)."""

    strategy: str
    run_id: int
    step: EvalStep
    components: tuple[ModelSpec, ...]
    """The trained models this update is made of: it can run once these are ready."""


@dataclass(frozen=True)
class WorkPlan:
    lineages: tuple[tuple[ModelSpec, ...], ...]
    """Models to train, each tuple in training order (a parent before its child)."""
    evaluations: tuple[Evaluation, ...]
    seed: int = 0
    """The seed whose config keys these models and runs."""

    @property
    def models(self) -> tuple[ModelSpec, ...]:
        return tuple(spec for lineage in self.lineages for spec in lineage)


def experiment_steps(config: ExperimentConfig) -> list[EvalStep]:
    return plan_steps(config.protocol, config.num_periods, config.update_periods)


def step_of(config: ExperimentConfig, train_period: int) -> EvalStep:
    """The protocol step that updates at `train_period`."""
    for step in experiment_steps(config):
        if step.train_period == train_period:
            return step
    raise ValueError(f"t = {train_period} is not an update period of this experiment")


def with_ancestors(specs: Iterable[ModelSpec]) -> frozenset[ModelSpec]:
    """The models and every model they continue from (a fine-tuned model needs its parents)."""
    found: set[ModelSpec] = set()
    for spec in specs:
        current: ModelSpec | None = spec
        while current is not None and current not in found:
            found.add(current)
            current = current.parent
    return frozenset(found)


def components(config: ExperimentConfig, strategy: str, t: int) -> tuple[ModelSpec, ...]:
    return tuple(get_strategy(strategy).components(t, config).values())


def models_needed(
    config: ExperimentConfig, strategies: Iterable[str], steps: Iterable[EvalStep]
) -> frozenset[ModelSpec]:
    """Every model the updates of `strategies` at `steps` need, ancestors included."""
    steps = list(steps)
    return with_ancestors(
        spec
        for s in strategies
        for step in steps
        for spec in components(config, s, step.train_period)
    )


def strategies_needing(
    config: ExperimentConfig, strategies: Iterable[str], spec: ModelSpec
) -> tuple[str, ...]:
    """The strategies (of `strategies`) whose updates need `spec`, directly or as an ancestor."""
    steps = experiment_steps(config)
    return tuple(s for s in strategies if spec in models_needed(config, (s,), steps))


def lineages(specs: Iterable[ModelSpec]) -> tuple[tuple[ModelSpec, ...], ...]:
    """Split models into chains that follow `parent`, longest first, then by label.

    Each chain is the serial part of the work (a model waits for its parent); chains are
    independent of each other. Longest first: the longest chain is the critical path.
    """
    specs = set(specs)
    children: dict[ModelSpec, ModelSpec] = {}
    for spec in specs:
        parent = spec.parent
        if parent is None:
            continue
        if parent not in specs:
            raise ValueError(f"{spec.label()} needs {parent.label()}, which is not planned")
        if parent in children:
            # Fine-tuning continues each model once; a fork would need a DAG, not a chain.
            raise ValueError(f"{parent.label()} has two children in one plan")
        children[parent] = spec
    chains = []
    for root in (s for s in specs if s.parent is None):
        chain = [root]
        while chain[-1] in children:
            chain.append(children[chain[-1]])
        chains.append(tuple(chain))
    return tuple(sorted(chains, key=lambda c: (-len(c), c[0].period, c[0].label())))


def plan_work(config: ExperimentConfig, run_ids: Mapping[str, int]) -> WorkPlan:
    """The jobs that bring the runs `run_ids` (strategy -> run id) of the config's seed through
    every step (a config of one seed: `ExperimentConfig.for_seed`)."""
    if len(config.seeds) > 1:
        raise ValueError(f"{len(config.seeds)} seeds: plan each with for_seed, or plan_seeds")
    steps = experiment_steps(config)
    evaluations = tuple(
        Evaluation(strategy, run_id, step, components(config, strategy, step.train_period))
        for step in steps
        for strategy, run_id in run_ids.items()
    )
    return WorkPlan(lineages(models_needed(config, run_ids, steps)), evaluations, config.seed)


def plan_seeds(
    config: ExperimentConfig, run_ids: Mapping[int, Mapping[str, int]]
) -> tuple[WorkPlan, ...]:
    """One plan per seed of `run_ids` (seed -> strategy -> run id), in the config's seed order;
    a seed with no run left is not planned."""
    return tuple(
        plan_work(config.for_seed(seed), run_ids[seed])
        for seed in config.seeds
        if run_ids.get(seed)
    )
