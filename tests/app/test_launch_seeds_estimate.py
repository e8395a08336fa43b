"""The launch estimate of k seeds is k times the work of one: seeds share no model."""

from __future__ import annotations

from app.work_estimate import estimate_work
from lsat_core.runner.options import build_config


def test_three_seeds_are_three_times_the_work_of_one() -> None:
    def config(seeds: str):
        return build_config(
            strategies="full_retrain,short_term,mf:full_retrain",
            dataset="ml-1m",
            protocol="next-period",
            preset="quick",
            seeds=seeds,
        )

    one, three = estimate_work(config("0"), None), estimate_work(config("0,1,2"), None)
    # quick updates at t = 2: full@2, short@2 and MF's full@2.
    assert (one.llm_models, one.classic_models, one.updates) == (2, 1, 3)
    assert (three.llm_models, three.classic_models, three.updates) == (6, 3, 9)
    assert three.samples_trained == 3 * one.samples_trained
    assert three.prompts_scored == 3 * one.prompts_scored
