"""The work plan workers follow: which models, in which lineages, and which evaluations; one
planned model per model key (specs that train the same weights are one task)."""

from __future__ import annotations

import pytest

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import (
    FINE_TUNE,
    FULL,
    LORA,
    PROXIMAL,
    REPLAY,
    SAMPLED,
    SHORT,
    ModelSpec,
)
from lsat_core.engine.update_settings import UpdateSettings
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
    assert lineages({spec: spec for spec in needed}) == (
        tuple(ModelSpec(LORA, FINE_TUNE, t) for t in (1, 2, 3)),
    )


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
    assert strategies_needing(config, config.strategies, [ModelSpec(LORA, FINE_TUNE, 1)]) == (
        "fine_tune",
    )
    assert strategies_needing(config, config.strategies, [ModelSpec(LORA, FULL, 2)]) == (
        "full_retrain",
        "lsat_en",
        "lsat_ta",
    )
    assert strategies_needing(config, config.strategies, [ModelSpec(LORA, SHORT, 3)]) == (
        "lsat_en",
        "lsat_ta",
    )
    assert strategies_needing(config, ("full_retrain",), [ModelSpec(LORA, SHORT, 3)]) == ()


def test_full_short_and_fine_tune_at_t_1_are_one_planned_model() -> None:
    config = _config(
        "full_retrain", "short_term", "fine_tune", long_term_period=1, update_periods=(1, 2)
    )
    plan = plan_work(config, {s: i for i, s in enumerate(config.strategies, start=1)})
    first = ModelSpec(LORA, FINE_TUNE, 1)
    assert _labels(plan.models) == [
        "lora:fine_tune@1",
        "lora:fine_tune@2",
        "lora:full@2",
        "lora:short@2",
    ]
    assert [s.label() for s in plan.served_by(first)] == [
        "lora:fine_tune@1",
        "lora:full@1",
        "lora:short@1",
    ]
    at_1 = [e for e in plan.evaluations if e.step.train_period == 1]
    assert len(at_1) == 3
    assert {plan.model_of(spec) for e in at_1 for spec in e.components} == {first}
    # Every run needs the one model: its task works (and fails) for all three.
    served = plan.served_by(first)
    assert strategies_needing(config, config.strategies, served) == config.strategies
    assert plan.continued_by(first) == (ModelSpec(LORA, FINE_TUNE, 2),)


def test_the_chains_continuing_one_shared_model_branch_from_it() -> None:
    """Fine-tuning, replay and proximal fine-tuning start from the same model of t = 1: one
    lineage, a tree whose branches train in parallel once that model is ready."""
    config = _config("fine_tune", "replay", "proximal")
    plan = plan_work(config, {s: i for i, s in enumerate(config.strategies, start=1)})
    (lineage,) = plan.lineages
    assert [m.label() for m in lineage] == [
        "lora:fine_tune@1",
        "lora:fine_tune@2",
        "lora:proximal@2",
        "lora:replay@2",
        "lora:fine_tune@3",
        "lora:proximal@3",
        "lora:replay@3",
    ]
    assert plan.continued_by(ModelSpec(LORA, FINE_TUNE, 1)) == tuple(
        ModelSpec(LORA, role, 2) for role in (FINE_TUNE, PROXIMAL, REPLAY)
    )
    assert plan.continued_by(ModelSpec(LORA, REPLAY, 2)) == (ModelSpec(LORA, REPLAY, 3),)
    assert plan.model_of(ModelSpec(LORA, PROXIMAL, 1)) == ModelSpec(LORA, FINE_TUNE, 1)


def test_without_a_pull_or_a_share_the_chains_are_one() -> None:
    config = _config(
        "fine_tune",
        "replay",
        "proximal",
        updates=UpdateSettings(replay_ratio=0, proximal_coefficient=0),
    )
    plan = plan_work(config, {s: i for i, s in enumerate(config.strategies, start=1)})
    assert plan.lineages == (tuple(ModelSpec(LORA, FINE_TUNE, t) for t in (1, 2, 3)),)


def test_a_draw_of_its_whole_pool_is_full_retrainings_model_once_sizes_are_known() -> None:
    config = _config(
        "full_retrain", "full_retrain_sampled", updates=UpdateSettings(sampled_budget=10**6)
    )
    runs = {"full_retrain": 1, "full_retrain_sampled": 2}
    apart = plan_work(config, runs)  # sizes unknown: planned apart, the second task loads it
    assert _labels(apart.models) == [
        "lora:full@2",
        "lora:full@3",
        "lora:sampled@2",
        "lora:sampled@3",
    ]
    together = plan_work(config, runs, lambda part: 32)
    assert _labels(together.models) == ["lora:full@2", "lora:full@3"]
    assert together.model_of(ModelSpec(LORA, SAMPLED, 3)) == ModelSpec(LORA, FULL, 3)


def test_a_chain_with_a_missing_parent_is_refused() -> None:
    assert _labels(with_ancestors([ModelSpec(LORA, FINE_TUNE, 2)])) == [
        "lora:fine_tune@1",
        "lora:fine_tune@2",
    ]
    with pytest.raises(ValueError, match="fine_tune@1, which is not planned"):
        lineages({ModelSpec(LORA, FINE_TUNE, 2): ModelSpec(LORA, FINE_TUNE, 2)})


def test_step_of_an_unplanned_period_is_an_error() -> None:
    config = _config("full_retrain")
    assert step_of(config, 2).eval_periods == (3,)
    with pytest.raises(ValueError, match="t = 5"):
        step_of(config, 5)
