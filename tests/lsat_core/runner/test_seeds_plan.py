"""Seeds as an axis in the config and the work plan: a seed's config, one plan per seed with the
same models under other keys, and the checks that refuse a bad list of seeds."""

from __future__ import annotations

import dataclasses

import pytest

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.errors import ConfigError
from lsat_core.runner.options import build_config
from lsat_core.runner.work_plan import plan_seeds, plan_work
from lsat_core.settings import WorkLimits


def seeded(seeds: str = "0,1,2", **options) -> ExperimentConfig:
    values = {"strategies": "lsat_en,mf:fine_tune", "dataset": "ml-1m"}
    values |= {"protocol": "next-period", "preset": "quick", **options}
    return build_config(**values, seeds=seeds)


def test_a_seeds_config_sets_every_training_seed_and_keeps_the_samples() -> None:
    config = seeded("3,5")
    assert (config.seed, config.seeds, config.lora.seed, config.classic.seed) == (3, (3, 5), 3, 3)
    assert config.budget.seed == 3
    fifth = config.for_seed(5)
    assert (fifth.seed, fifth.seeds, fifth.lora.seed, fifth.classic.seed) == (5, (5,), 5, 5)
    assert fifth.budget == config.budget  # the samples are the first seed's for every seed
    assert fifth.run_key("lsat_en") != config.for_seed(3).run_key("lsat_en")
    assert config.for_seed(3) == seeded("3")  # the first seed's runs: those of --seed 3
    assert ExperimentConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="choose one with for_seed"):
        config.run_key("lsat_en")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seeds": (0, 0)}, "a seed is listed twice"),
        ({"seeds": (1, 2)}, "the first seed must be seed = 0"),
        ({"seeds": (0, -1)}, "must be an integer in 0..4294967295, got -1"),
        ({"seeds": (0, 1), "seed": 0, "lora_seed": 4}, "training seeds follow seed = 0"),
    ],
)
def test_a_bad_list_of_seeds_is_refused_naming_seeds(changes, message) -> None:
    config = ExperimentConfig(strategies=("lsat_en",))
    lora_seed = changes.pop("lora_seed", None)
    if lora_seed is not None:
        changes["lora"] = dataclasses.replace(config.lora, seed=lora_seed)
    with pytest.raises(ConfigError, match=message) as error:
        dataclasses.replace(config, **changes)
    assert error.value.where == "seeds"


def test_each_seed_plans_the_same_models_and_a_plan_is_of_one_seed() -> None:
    config = seeded("0,1,2", update_periods="2,3", m=2)
    runs = {seed: {"lsat_en": 10 + seed, "mf:fine_tune": 20 + seed} for seed in config.seeds}
    plans = plan_seeds(config, runs | {1: {}})  # seed 1 has nothing left to run
    assert [plan.seed for plan in plans] == [0, 2]
    assert set(plans[0].models) == set(plans[1].models)
    assert {e.run_id for e in plans[1].evaluations} == {12, 22}
    with pytest.raises(ValueError, match="3 seeds"):
        plan_work(config, runs[0])


def test_the_update_limit_counts_every_seed() -> None:
    with pytest.raises(ConfigError, match=r"2 strategies x 2 update periods x 3 seeds = 12"):
        build_config(
            strategies="lsat_en,mf:fine_tune",
            dataset="ml-1m",
            protocol="next-period",
            preset="quick",
            update_periods="1,2",
            seeds="0,1,2",
            limits=WorkLimits(max_updates=10),
        )
