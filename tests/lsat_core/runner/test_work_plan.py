"""The work plan workers follow: which models, in which lineages, and which evaluations."""

from __future__ import annotations

import pytest

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FINE_TUNE, FULL, LORA, SHORT, ModelSpec
from lsat_core.runner.work_plan import (
    lineages,
    models_needed,
    plan_work,
    step_of,
    strategies_needing,
    with_ancestors,
)


def _config(*strategies: str, **overrides) -> ExperimentConfig:
    values = {"long_term_period": 2, "update_periods": (2, 3), **overrides}
    return ExperimentConfig(strategies=strategies, **values)


def _labels(specs) -> list[str]:
    return sorted(spec.label() for spec in specs)


def test_fine_tuning_needs_every_earlier_period_and_forms_one_chain() -> None:
    config = _config("fine_tune")
    needed = models_needed(config, config.strategies, [step_of(config, 3)])
    assert _labels(needed) == ["lora:fine_tune@1", "lora:fine_tune@2", "lora:fine_tune@3"]
    assert lineages(needed) == (tuple(ModelSpec(LORA, FINE_TUNE, t) for t in (1, 2, 3)),)


def test_shared_models_are_planned_once_and_independent_ones_fan_out() -> None:
    config = _config("full_retrain", "long_term", "lsat_en", "lsat_ta", "lsat_en_full")
    plan = plan_work(config, {s: i for i, s in enumerate(config.strategies, start=1)})
    # m = 2: the long-term LoRA is full retraining at 2 for t = 2 and 3; LSAT-EN (full) uses
    # full retraining at t, so every strategy draws from these four models.
    assert _labels(plan.models) == ["lora:full@2", "lora:full@3", "lora:short@2", "lora:short@3"]
    assert all(len(lineage) == 1 for lineage in plan.lineages)
    assert len(plan.evaluations) == 5 * 2
    lsat_en_3 = next(
        e for e in plan.evaluations if e.strategy == "lsat_en" and e.step.train_period == 3
    )
    assert lsat_en_3.components == (ModelSpec(LORA, FULL, 2), ModelSpec(LORA, SHORT, 3))
    assert lsat_en_3.run_id == 3 and lsat_en_3.step.eval_periods == (4,)


def test_longest_lineage_comes_first_and_families_keep_their_own_chains() -> None:
    config = _config("short_term", "fine_tune", "mf:fine_tune", "in_context")
    plan = plan_work(config, {s: i for i, s in enumerate(config.strategies, start=1)})
    assert [lineage[0].label() for lineage in plan.lineages] == [
        "lora:fine_tune@1",
        "mf:fine_tune@1",
        "lora:short@2",
        "lora:short@3",
    ]
    assert [len(lineage) for lineage in plan.lineages] == [3, 3, 1, 1]
    # The untuned in-context baseline needs no trained model.
    in_context = [e for e in plan.evaluations if e.strategy == "in_context"]
    assert [e.components for e in in_context] == [(), ()]


def test_strategies_needing_a_model_include_those_needing_a_child_of_it() -> None:
    config = _config("full_retrain", "fine_tune", "lsat_en", "lsat_ta")
    assert strategies_needing(config, config.strategies, ModelSpec(LORA, FINE_TUNE, 1)) == (
        "fine_tune",
    )
    assert strategies_needing(config, config.strategies, ModelSpec(LORA, FULL, 2)) == (
        "full_retrain",
        "lsat_en",
        "lsat_ta",
    )
    assert strategies_needing(config, config.strategies, ModelSpec(LORA, SHORT, 3)) == (
        "lsat_en",
        "lsat_ta",
    )
    assert strategies_needing(config, ("full_retrain",), ModelSpec(LORA, SHORT, 3)) == ()


def test_a_chain_with_a_missing_parent_is_refused() -> None:
    assert _labels(with_ancestors([ModelSpec(LORA, FINE_TUNE, 2)])) == [
        "lora:fine_tune@1",
        "lora:fine_tune@2",
    ]
    with pytest.raises(ValueError, match="fine_tune@1, which is not planned"):
        lineages([ModelSpec(LORA, FINE_TUNE, 2)])


def test_step_of_an_unplanned_period_is_an_error() -> None:
    config = _config("full_retrain")
    assert step_of(config, 2).eval_periods == (3,)
    with pytest.raises(ValueError, match="t = 5"):
        step_of(config, 5)
