"""An experiment's work as separate jobs: the models to train and the evaluations that use them.

Workers split what `execute_experiment` does in one process. Strategies declare the models each
update needs before anything is trained (`Strategy.components`), so the whole plan is known up
front: every distinct model once, grouped into lineages, and one evaluation per (run, step) that
can start as soon as its own models are ready.

A model is planned once per model key, not per spec: specs that train the same weights (at t = 1
full retraining, the short-term LoRA and the first model of every fine-tuning chain; docs/method.md
section 3, "Models are shared") are one planned model, named by the first of them by label, and
every update that needs any of them waits on that one model
(`lsat_core.runner.model_identity`, which groups specs as `Workbench.model_key` keys them). A
model that continues another (`ModelSpec.parent`) trains after it; a lineage is a model without
a parent and every model continuing from it, directly or not. Since the model of t = 1 is shared,
fine-tuning, replay and proximal fine-tuning all continue it: a lineage is a tree, whose
branches can train in parallel once their common model is ready, and lineages are independent of
each other.

An experiment with several seeds is one plan per seed (`plan_seeds`): a seed's models are keyed
by its config (`ExperimentConfig.for_seed`), so models are shared across strategies within a
seed and never across seeds, and the experiment trains k times the models of one seed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import ModelSpec
from lsat_core.evaluation.protocols import EvalStep, plan_steps
from lsat_core.runner.model_identity import PartSize, trained_as, unknown_size
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
    """Models to train, one spec per model, grouped by lineage, each lineage in training order
    (a model after the one it continues)."""
    evaluations: tuple[Evaluation, ...]
    trained_by: Mapping[ModelSpec, ModelSpec]
    """Every spec the evaluations need (ancestors included) -> the planned model that trains its
    weights."""
    seed: int = 0
    """The seed whose config keys these models and runs."""

    @property
    def models(self) -> tuple[ModelSpec, ...]:
        return tuple(spec for lineage in self.lineages for spec in lineage)

    def model_of(self, spec: ModelSpec) -> ModelSpec:
        """The planned model that trains `spec`'s weights."""
        return self.trained_by[spec]

    def served_by(self, model: ModelSpec) -> tuple[ModelSpec, ...]:
        """The specs whose weights planned `model` trains, itself among them, by label."""
        return tuple(
            sorted((s for s, m in self.trained_by.items() if m == model), key=ModelSpec.label)
        )

    def continued_by(self, model: ModelSpec) -> tuple[ModelSpec, ...]:
        """The planned models that continue from planned `model`, in plan order."""
        return tuple(
            m for m in self.models if m.parent is not None and self.model_of(m.parent) == model
        )


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


def trainings(config: ExperimentConfig, spec: ModelSpec) -> int:
    """How many times planned model `spec` is trained: proximal fine-tuning that searches mu
    trains one candidate per point of the grid under its one model key, and keeps the best on
    val_t (the LoRA family, `lsat_core.engine.proximal_search`); every other model, once."""
    return len(spec.pulls(config.updates))


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
    config: ExperimentConfig, strategies: Iterable[str], specs: Collection[ModelSpec]
) -> tuple[str, ...]:
    """The strategies (of `strategies`) whose updates need one of `specs` (the specs one model
    serves), directly or as an ancestor."""
    steps = experiment_steps(config)
    return tuple(s for s in strategies if not models_needed(config, (s,), steps).isdisjoint(specs))


def lineages(trained_by: Mapping[ModelSpec, ModelSpec]) -> tuple[tuple[ModelSpec, ...], ...]:
    """The planned models (the values of `trained_by`) grouped by the model without a parent
    each continues from, each group by period then label (a model after the one it continues);
    the longest first, then by the first's period and label.

    A lineage is the serial part of the work along each of its branches; lineages are independent
    of each other. Longest first: the longest holds the critical path.
    """

    def first_model(model: ModelSpec) -> ModelSpec:
        while model.parent is not None:
            if model.parent not in trained_by:
                raise ValueError(
                    f"{model.label()} needs {model.parent.label()}, which is not planned"
                )
            model = trained_by[model.parent]
        return model

    groups: dict[ModelSpec, list[ModelSpec]] = {}
    for model in set(trained_by.values()):
        groups.setdefault(first_model(model), []).append(model)
    ordered = [
        tuple(sorted(group, key=lambda m: (m.period, m.label()))) for group in groups.values()
    ]
    return tuple(sorted(ordered, key=lambda g: (-len(g), g[0].period, g[0].label())))


def plan_work(
    config: ExperimentConfig, run_ids: Mapping[str, int], size: PartSize = unknown_size
) -> WorkPlan:
    """The jobs that bring the runs `run_ids` (strategy -> run id) of the config's seed through
    every step (a config of one seed: `ExperimentConfig.for_seed`). `size` gives the parts'
    sample counts, which decide whether a draw is its whole pool (its model then is full
    retraining's); without them such a model is planned apart and its task loads it."""
    if len(config.seeds) > 1:
        raise ValueError(f"{len(config.seeds)} seeds: plan each with for_seed, or plan_seeds")
    steps = experiment_steps(config)
    evaluations = tuple(
        Evaluation(strategy, run_id, step, components(config, strategy, step.train_period))
        for step in steps
        for strategy, run_id in run_ids.items()
    )
    shared = trained_as(models_needed(config, run_ids, steps), config, size)
    return WorkPlan(lineages(shared), evaluations, shared, config.seed)


def plan_seeds(
    config: ExperimentConfig,
    run_ids: Mapping[int, Mapping[str, int]],
    size: PartSize = unknown_size,
) -> tuple[WorkPlan, ...]:
    """One plan per seed of `run_ids` (seed -> strategy -> run id), in the config's seed order;
    a seed with no run left is not planned. The seeds share their samples, so `size` too."""
    return tuple(
        plan_work(config.for_seed(seed), run_ids[seed], size)
        for seed in config.seeds
        if run_ids.get(seed)
    )
