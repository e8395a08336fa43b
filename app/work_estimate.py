"""How much work an experiment is before it is launched: models to train, samples to train on
and to score, and a rough time at simple per-sample rates.

The models are those the work plan needs (`lsat_core.runner.work_plan.models_needed`), counted
by what determines their weights as the workbench keys them (`lsat_core.runner.model_identity`):
at t = 1 full retraining, the short-term LoRA and the first fine-tuned model are one model,
trained once. The scorings per update are those each strategy declares (`Strategy.test_scorings`,
`validation_scorings`): a strategy's components are scored once per tested period whichever
strategies serve them (the workbench keeps a model's scores on a sample set), and what a strategy
scores beyond them (a merged adapter, the untuned backbone) is its own. Strategies declare their
work without torch, so a registered strategy is estimated with no change here.

Counts are upper bounds: early stopping may end training sooner. An experiment of k seeds is k
times the work of one: its seeds share no model (lsat_core.runner.work_plan).
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, ModelSpec
from lsat_core.engine.training_data import training_size
from lsat_core.evaluation.protocols import EvalStep
from lsat_core.runner import work_plan
from lsat_core.runner.model_identity import distinct_models, weights_identity
from lsat_core.strategies.registry import get_strategy


def models_needed(config: ExperimentConfig) -> frozenset[ModelSpec]:
    """Every model one seed of the experiment needs, fine-tuning parents included (specs that
    train the same weights are listed apart: `distinct_models` counts them once)."""
    return work_plan.models_needed(config, config.strategies, work_plan.experiment_steps(config))


@dataclass(frozen=True)
class PeriodSize:
    """Samples of one period of a stored stream (`lsat_core.data.stats.period_stats`)."""

    train: int
    val: int
    samples: int
    """The whole period: its test set."""


@dataclass(frozen=True)
class Rates:
    """Per-sample speeds of SmolLM2-135M, the default backbone, on some hardware."""

    hardware: str
    prompts_per_second: float
    samples_trained_per_second: float
    source: str


# Measured inside a real run on the project's 2-core CPU machine: the first LoRA phase of
# `lsat run --preset quick` (at its earlier 32 train samples a period) at load 0.2-2.2, from its
# tasks' timings (README, Presets): full_retrain's 448 test prompts scored in 92 s (4.87 a
# second); full@2's 128 samples trained in 122 s less its 3 validations of 64 prompts at that
# speed (1.55 a second), full@1's 32 in 35 s less one validation (1.46). The training rate is so
# net of the validations, which the estimate counts as prompts. bench/bench_llm.py's 1.83 and
# 0.63 (README, Performance) read 2.4-2.7x slower than a run is. More cores are assumed to help
# linearly, which is optimistic.
CPU_MEASURED_CORES = 2
CPU_PROMPTS_PER_SECOND = 4.87
CPU_SAMPLES_TRAINED_PER_SECOND = 1.5
# docs/method.md section 8: the real SmolLM2 in a plain PyTorch loop on one H200 scores 3,254
# prompts and trains 261 samples a second.
GPU_RATES = Rates(
    "one GPU (H200-class)",
    3254.0,
    261.0,
    "measured on one H200: the real SmolLM2 in a plain bf16 PyTorch loop",
)


def cpu_rates(cores: int) -> Rates:
    scale = cores / CPU_MEASURED_CORES
    return Rates(
        f"CPU, {cores} cores",
        CPU_PROMPTS_PER_SECOND * scale,
        CPU_SAMPLES_TRAINED_PER_SECOND * scale,
        f"measured in a quick run on {CPU_MEASURED_CORES} cores, scaled by the core count",
    )


def local_rates() -> Rates:
    """Rates for this machine: an NVIDIA driver that lists a GPU, else its CPU cores. Read from
    /proc rather than torch, which the dashboard never imports."""
    gpus = Path("/proc/driver/nvidia/gpus")
    if gpus.is_dir() and any(gpus.iterdir()):
        return GPU_RATES
    return cpu_rates(os.cpu_count() or 1)


@dataclass(frozen=True)
class WorkEstimate:
    llm_models: int
    """LoRA adapters to train (shared models counted once per seed)."""
    classic_models: int
    """Classic baseline models to train (cheap: not in the time below)."""
    updates: int
    """(strategy, seed, update period) evaluations."""
    samples_trained: int | None
    """LLM training samples over all epochs; None when a part's size is unknown."""
    prompts_scored: int | None
    """LLM prompts scored: validations while training, coefficient searches and tests."""

    def seconds(self, rates: Rates) -> float | None:
        if self.samples_trained is None or self.prompts_scored is None:
            return None
        return (
            self.samples_trained / rates.samples_trained_per_second
            + self.prompts_scored / rates.prompts_per_second
        )


def estimate_work(config: ExperimentConfig, sizes: Mapping[int, PeriodSize] | None) -> WorkEstimate:
    """The work of `config`; `sizes` are the periods of its stream when stored (else the budget
    alone gives the sizes, and a part without a budget is unknown)."""
    part = _PartSizes(config, sizes)
    models = distinct_models(models_needed(config), config, lambda p: part(*p))
    lora = [spec for spec in models if spec.family == LORA]
    steps = work_plan.experiment_steps(config)
    # The strategies scored with the LLM (in_context untuned): only their prompts are timed.
    llm_strategies = [s for s in config.strategies if get_strategy(s).family == LORA]
    training = [_training(config, spec, part) for spec in lora]
    trained = _sum(samples for samples, _ in training)
    scored = _sum(
        [validations for _, validations in training]
        + [_component_tests(config, llm_strategies, steps, part)]
        + [
            _evaluation(strategy, step, config, part)
            for strategy in llm_strategies
            for step in steps
        ]
    )
    seeds = len(config.seeds)
    return WorkEstimate(
        llm_models=len(lora) * seeds,
        classic_models=(len(models) - len(lora)) * seeds,
        updates=len(config.strategies) * len(steps) * seeds,
        samples_trained=None if trained is None else trained * seeds,
        prompts_scored=None if scored is None else scored * seeds,
    )


def samples_tested(config: ExperimentConfig, sizes: Mapping[int, PeriodSize] | None) -> int | None:
    """Test samples a paired comparison of two strategies pools: every tested period of every
    update, of one seed (None when a period's size is unknown)."""
    part = _PartSizes(config, sizes)
    steps = work_plan.experiment_steps(config)
    return _sum(part(period, "test") for step in steps for period in step.eval_periods)


class _PartSizes:
    """Samples of (period, part) after the budget; None when neither is known."""

    def __init__(self, config: ExperimentConfig, sizes: Mapping[int, PeriodSize] | None) -> None:
        budget = config.budget
        self._limits = {
            "train": budget.train_per_period,
            "val": budget.val_per_period,
            "test": budget.test_per_period,
        }
        self._sizes = sizes or {}

    def __call__(self, period: int, part: str) -> int | None:
        size = self._sizes.get(period)
        known = (
            None
            if size is None
            else {"train": size.train, "val": size.val, "test": size.samples}[part]
        )
        limit = self._limits[part]
        if known is None:
            return limit
        return known if limit is None else min(known, limit)


def _training(
    config: ExperimentConfig, spec: ModelSpec, part: _PartSizes
) -> tuple[int | None, int | None]:
    """(samples trained over all epochs, prompts scored by its validations) of one LoRA, over
    each of its trainings (`work_plan.trainings`: one per mu when proximal searches it). A LoRA
    that continues a previous one validates at fine-tuning's cadence, and once before its first
    step (the model it starts from: `train_adapter`'s start_val_auc), which a grid's candidates
    share: they all start from the same model (`lsat_core.engine.proximal_search`)."""
    parts = spec.train_parts + spec.replay_parts
    val = part(*spec.val_part)
    if val is None or any(part(*p) is None for p in parts):
        return None, None
    n = training_size(spec, config.updates, lambda p: part(*p) or 0)
    lora = config.lora
    continues = spec.parent is not None
    eval_every = config.updates.fine_tune_eval_every if continues else lora.eval_every
    batch = lora.micro_batch_size * lora.accumulation_steps
    steps = math.ceil(n / batch) * lora.epochs
    if lora.max_steps is not None:
        steps = min(steps, lora.max_steps)
    trained = min(n * lora.epochs, steps * batch)
    candidates = work_plan.trainings(config, spec)
    validations = candidates * math.ceil(steps / eval_every) + int(continues)
    return candidates * trained, validations * val


def _component_tests(
    config: ExperimentConfig, strategies: Iterable[str], steps: Iterable[EvalStep], part: _PartSizes
) -> int | None:
    """Prompts of the strategies' trained components on the periods they are tested on, each
    (model, tested period) once: strategies that serve the same model share its scores."""
    scored: set[tuple[Hashable, int]] = set()
    for step in steps:
        for strategy in strategies:
            for spec in work_plan.components(config, strategy, step.train_period):
                identity = weights_identity(spec, config, lambda p: part(*p))
                scored.update((identity, period) for period in step.eval_periods)
    return _sum(part(period, "test") for _, period in scored)


def _evaluation(
    strategy: str, step: EvalStep, config: ExperimentConfig, part: _PartSizes
) -> int | None:
    """Prompts one update scores besides its components' test scores: the coefficient search on
    val_t, and each tested period with what it serves beyond its components (LSAT-TA's merged
    adapter; in_context's untuned backbone)."""
    declared = get_strategy(strategy)
    own = len(work_plan.components(config, strategy, step.train_period))
    tests = _sum(part(period, "test") for period in step.eval_periods)
    searches = declared.validation_scorings
    val = part(step.train_period, "val") if searches else 0
    if tests is None or val is None:
        return None
    return max(declared.test_scorings - own, 0) * tests + searches * val


def _sum(values: Iterable[int | None]) -> int | None:
    total = 0
    for value in values:
        if value is None:
            return None
        total += value
    return total
