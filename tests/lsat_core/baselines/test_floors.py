"""The floors (docs/method.md section 9): the hand formulas, the grid choice on validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.floor import IdRows
from lsat_core.baselines.logreg import LogReg, one_hot
from lsat_core.baselines.registry import FLOORS, build_baseline, load_baseline
from lsat_core.baselines.synthetic import planted_stream
from lsat_core.errors import InputError
from lsat_core.evaluation.metrics import auc_with_ci


@pytest.fixture(scope="module")
def item_effects() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Users and items with their own propensity to like (main effects a floor can learn)."""
    stream = planted_stream(users=150, items=80, samples=6000, periods=2, bias_std=1.0, seed=3)
    first = stream.period(1)
    return first[first["split"] == "train"], first[first["split"] == "val"], stream.period(2)


def auc(df: pd.DataFrame, scores: np.ndarray) -> float:
    return auc_with_ci(df["label"].to_numpy(), scores).auc


def test_popularity_is_the_smoothed_like_rate(item_effects):
    train, val, _ = item_effects
    config = ClassicTrainConfig(popularity_smoothing_grid=(5.0,))
    model = build_baseline("popularity")
    model.fit(train, val, config)
    g = train["label"].mean()
    stats = train.groupby("item")["label"].agg(["sum", "count"])
    expected = (stats["sum"] + 5.0 * g) / (stats["count"] + 5.0)
    samples = val[val["item"].isin(stats.index)]
    np.testing.assert_allclose(model.score(samples), expected[samples["item"]].to_numpy())
    unseen = samples.head(3).assign(item="never-seen-item")
    np.testing.assert_allclose(model.score(unseen), g)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_the_grid_value_kept_is_the_best_on_validation(name, item_effects):
    train, val, _ = item_effects
    model = build_baseline(name)
    result = model.fit(train, val, ClassicTrainConfig())
    grid = model.grid(ClassicTrainConfig())
    aucs = [record.val_auc for record in result.history]
    assert len(aucs) == len(grid) and len(set(aucs)) > 1  # the grid matters on this data
    assert result.best == int(np.argmax(aucs)) and model.value == grid[result.best]
    assert auc(val, model.score(val)) == pytest.approx(result.best_val_auc, abs=1e-12)


def test_logreg_scores_as_sklearn_at_the_chosen_c(item_effects):
    train, val, test = item_effects
    model = build_baseline("logreg")
    model.fit(train, val, ClassicTrainConfig())
    assert isinstance(model, LogReg) and model.value is not None
    reference = LogisticRegression(C=model.value, max_iter=1000)
    rows = IdRows.encode(train, model.users, model.items, "train", labels=True)
    reference.fit(one_hot(rows, model.users.size, model.items.size), rows.label)
    tested = IdRows.encode(test, model.users, model.items, "test", labels=True)
    expected = reference.predict_proba(one_hot(tested, model.users.size, model.items.size))[:, 1]
    np.testing.assert_allclose(model.score(test), expected, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_floors_learn_item_and_user_effects(name, item_effects):
    train, val, test = item_effects
    model = build_baseline(name)
    model.fit(train, val, ClassicTrainConfig())
    assert auc(test, model.score(test)) > 0.6


def test_logreg_beats_popularity_when_users_differ(item_effects):
    train, val, test = item_effects
    scores = {}
    for name in ("popularity", "logreg"):
        model = build_baseline(name)
        model.fit(train, val, ClassicTrainConfig())
        scores[name] = auc(test, model.score(test))
    assert scores["logreg"] > scores["popularity"] + 0.05


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_save_then_load_scores_identically(name, item_effects, tmp_path):
    train, val, test = item_effects
    model = build_baseline(name)
    model.fit(train, val, ClassicTrainConfig())
    loaded = load_baseline(model.save(tmp_path / "floor.safetensors"))
    assert type(loaded) is type(model) and loaded.value == model.value
    assert loaded.config == model.config and loaded.items == model.items
    np.testing.assert_array_equal(loaded.score(test), model.score(test))


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_a_floor_is_refitted_not_fine_tuned(name, item_effects):
    train, val, _ = item_effects
    model = build_baseline(name)
    model.fit(train, val, ClassicTrainConfig())
    with pytest.raises(InputError, match="refitted"):
        build_baseline(name).fit(train, val, ClassicTrainConfig(), init_state=model)
    with pytest.raises(InputError, match="not been fitted"):
        build_baseline(name).score(val)
