import pytest

from lsat_core.errors import ConfigError
from lsat_core.evaluation.protocols import (
    COLD_WARM,
    FIXED_TARGET,
    NEXT_PERIOD,
    EvalStep,
    fixed_target_warm_periods,
    plan_steps,
    summary_eval_periods,
)


def test_next_period_tests_each_model_on_the_following_period():
    steps = plan_steps(NEXT_PERIOD, 20)
    assert steps[0] == EvalStep(1, (2,)) and steps[-1] == EvalStep(19, (20,))
    assert len(steps) == 19
    assert summary_eval_periods(NEXT_PERIOD, 20) == tuple(range(11, 21))


def test_fixed_target_tests_every_model_on_the_last_period():
    steps = plan_steps(FIXED_TARGET, 20)
    assert {s.eval_periods for s in steps} == {(20,)}
    assert [s.train_period for s in steps] == list(range(1, 20))
    assert fixed_target_warm_periods(20) == tuple(range(1, 11))


def test_cold_warm_trains_on_first_fifteen_of_twenty():
    assert plan_steps(COLD_WARM, 20) == [EvalStep(15, (16, 17, 18, 19, 20))]


def test_update_period_subset_and_its_errors():
    assert plan_steps(NEXT_PERIOD, 20, (10, 11)) == [EvalStep(10, (11,)), EvalStep(11, (12,))]
    with pytest.raises(ConfigError, match="update_periods"):
        plan_steps(NEXT_PERIOD, 20, (20,))
    with pytest.raises(ConfigError, match="unknown protocol"):
        plan_steps("weekly", 20)
