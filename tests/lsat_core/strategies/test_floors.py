"""The floors as strategies through the period loop on the planted stream (conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lsat_core.baselines.registry import FLOORS as FLOOR_MODELS
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact
from lsat_core.strategies.floors import FLOORS
from lsat_core.strategies.registry import STRATEGIES

pytestmark = pytest.mark.timeout(300)


def test_the_floors_are_registered_under_their_model_names():
    assert set(FLOORS) == set(FLOOR_MODELS)
    assert all(STRATEGIES[name].family == name for name in FLOORS)


def test_floors_are_refitted_each_period_and_record_rows(run_planted):
    outcome = run_planted(tuple(FLOORS), protocol="next-period", update_periods=(2, 3))
    model = outcome.results().query("role == 'model'")
    assert set(model["strategy"]) == set(FLOORS)
    assert set(zip(model["train_period"], model["eval_period"], strict=True)) == {(2, 3), (3, 4)}
    cells = model.set_index(["strategy", "train_period", "segment"])
    for name in FLOORS:
        assert cells.loc[(name, 2, "all"), "n"] == 2000
    with session_scope(outcome.engine) as session:
        labels = session.scalars(select(Artifact.config)).all()
        keys = sorted(c["spec"].replace(":", "-").replace("@", "-") for c in labels)
    # One fresh fit per floor and period: no fine-tuning chain behind them.
    assert keys == sorted(f"{name}-full-{t}" for name in FLOORS for t in (2, 3))
