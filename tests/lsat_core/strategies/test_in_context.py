"""The in-context baseline: the untuned LLM (here the tiny random one) through the period loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.lora_family import LoraFamily
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact
from lsat_core.strategies.in_context import InContext, with_recent_positives

pytestmark = pytest.mark.timeout(300)
TEST_BUDGET = SampleBudget(test_per_period=64)
"""The tiny LLM scores 64 samples per tested period; the classic models train on all."""


def _stream_rows(rows: list[tuple[str, int, str, int]]) -> pd.DataFrame:
    """(user, sample_id, item, label) rows of a stream."""
    frame = pd.DataFrame(rows, columns=["user", "sample_id", "item", "label"])
    return frame.assign(rating=np.where(frame["label"] == 1, 5.0, 2.0))


STREAM = _stream_rows(
    [
        ("u1", 1, "a", 1),
        ("u2", 2, "x", 1),
        ("u1", 3, "b", 0),
        ("u1", 4, "c", 1),
        ("u1", 5, "d", 1),
        ("u1", 6, "e", 1),  # the scored sample's target
        ("u1", 7, "f", 1),  # after it
        ("u2", 8, "y", 1),
    ]
)


def _scored(user: str, sample_id: int, item: str, history: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user": [user],
            "sample_id": [sample_id],
            "item": [item],
            "hist_items": [history],
            "hist_ratings": [[4.0] * len(history)],
        }
    )


@pytest.mark.parametrize(("k", "added"), [(1, ["c"]), (2, ["a", "c"]), (5, ["a", "c"])])
def test_recent_positives_come_before_the_target_and_outside_the_history(k, added):
    # u1 liked a, c, d before e; d is in the history already, b was disliked, f comes later.
    frame = with_recent_positives(_scored("u1", 6, "e", ["d"]), STREAM, k)
    assert frame.loc[0, "hist_items"] == [*added, "d"]  # oldest first, the history last
    assert frame.loc[0, "hist_ratings"] == [5.0] * len(added) + [4.0]


def test_recent_positives_never_include_the_target_or_a_later_item():
    # A user who rated e again later: neither that nor anything at or after the sample counts.
    stream = pd.concat([STREAM, _stream_rows([("u1", 9, "e", 1)])])
    frame = with_recent_positives(_scored("u1", 5, "d", []), stream, 10)
    assert frame.loc[0, "hist_items"] == ["a", "c"]
    assert with_recent_positives(_scored("u3", 5, "d", ["q"]), stream, 3).loc[0, "hist_items"] == [
        "q"
    ]


def test_in_context_trains_nothing_and_scores_every_item(run_planted, monkeypatch):
    calls: list[str] = []
    score = LoraFamily.score

    def counting(self, model, samples: SampleSet):
        assert model is None  # the untuned backbone
        calls.append(samples.key)
        return score(self, model, samples)

    monkeypatch.setattr(LoraFamily, "score", counting)
    outcome = run_planted(
        ("in_context",),
        protocol="fixed-target",
        budget=TEST_BUDGET,
        in_context_recent_positives=3,
    )
    frame = outcome.results()
    assert sorted(frame["train_period"].unique()) == [1, 2, 3] and set(frame["role"]) == {"model"}
    cells = frame.set_index(["train_period", "segment"])
    for t in (1, 2, 3):
        assert cells.loc[(t, "all"), "n"] == 64
        assert cells.loc[(t, "cold"), "n"] > 0 and np.isfinite(cells.loc[(t, "cold"), "auc"])
    # The same untuned model at every t: D_4 scored once, with the recent positives added.
    assert calls == ["p4-test-64-s0+liked3"]
    assert (frame.groupby("segment")["auc"].nunique() == 1).all()
    assert (frame["samples_trained"] == 0).all() and (frame["tokens_trained"] == 0).all()
    assert (frame["train_seconds"] == 0).all() and (frame["device"] == "cpu").all()
    with session_scope(outcome.engine) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == 0


def test_in_context_splits_warm_and_cold_items_as_full_retraining_does(run_planted):
    outcome = run_planted(
        ("in_context", "mf:full_retrain"),
        protocol="next-period",
        update_periods=(3,),
        budget=TEST_BUDGET,
    )
    n = outcome.results().set_index(["strategy", "segment"])["n"]
    for segment in ("warm", "cold"):
        assert n[("in_context", segment)] == n[("mf:full_retrain", segment)]
    assert n[("in_context", "cold")] > 0  # the renamed items of D_4
    prompts = InContext().prompt_samples(outcome.bench.samples(4, "test"), outcome.bench)
    assert prompts.key == "p4-test-64-s0"  # no recent positives asked for: the sample as it is
