"""Replay, proximal and sampled retraining are ordinary registered strategies: the config accepts
them, and the work plan (read by the launch form, the estimate and the workers) trains the
models they declare."""

from __future__ import annotations

import pytest

from lsat_core.engine.model_specs import LORA, PROXIMAL, REPLAY, SAMPLED, ModelSpec
from lsat_core.runner.options import build_config
from lsat_core.runner.work_plan import plan_work
from lsat_core.strategies.classic import CLASSIC_BASELINES
from lsat_core.strategies.registry import STRATEGIES

CASES = [("replay", LORA, REPLAY), ("proximal", LORA, PROXIMAL)]
CASES += [("full_retrain_sampled", LORA, SAMPLED)]
CASES += [(f"{b}:replay", b, REPLAY) for b in CLASSIC_BASELINES]
CASES += [(f"{b}:full_retrain_sampled", b, SAMPLED) for b in CLASSIC_BASELINES]


@pytest.mark.parametrize(("name", "family", "role"), CASES)
def test_each_is_registered_and_planned(name: str, family: str, role: str) -> None:
    strategy = STRATEGIES[name]
    assert (strategy.name, strategy.family) == (name, family) and strategy.summary
    config = build_config(
        strategies=name,
        dataset="ml-1m",
        protocol="next-period",
        preset="quick",
        update_periods="1,2",
    )
    plan = plan_work(config, {name: 1})
    # Updates at t = 1, 2; a continuing role trains its t = 1 model as the parent.
    assert set(plan.models) == {ModelSpec(family, role, t) for t in (1, 2)}
    assert [e.components for e in plan.evaluations] == [
        (ModelSpec(family, role, 1),),
        (ModelSpec(family, role, 2),),
    ]
