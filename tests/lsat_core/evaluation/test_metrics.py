import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from lsat_core.evaluation.metrics import auc_with_ci, delong_variance


def test_auc_matches_sklearn_and_ci_contains_it():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 500)
    scores = labels * 0.5 + rng.normal(size=500)
    result = auc_with_ci(labels, scores)
    assert result.auc == pytest.approx(roc_auc_score(labels, scores))
    assert result.n == 500 and result.positives == int(labels.sum())
    assert result.ci_low < result.auc < result.ci_high


def test_delong_variance_matches_bootstrap():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 400)
    scores = labels * 0.8 + rng.normal(size=400)
    boots = []
    for _ in range(2000):
        idx = rng.integers(0, 400, 400)
        if 0 < labels[idx].sum() < 400:
            boots.append(roc_auc_score(labels[idx], scores[idx]))
    assert delong_variance(labels, scores) == pytest.approx(np.var(boots), rel=0.15)


def test_interval_narrows_with_more_samples():
    rng = np.random.default_rng(2)
    widths = []
    for n in (100, 10_000):
        labels = rng.integers(0, 2, n)
        scores = labels * 0.5 + rng.normal(size=n)
        r = auc_with_ci(labels, scores)
        widths.append(r.ci_high - r.ci_low)
    assert widths[1] < widths[0] / 5


def test_single_class_gives_undefined_auc():
    result = auc_with_ci([1, 1, 1], [0.2, 0.5, 0.9])
    assert result.auc is None and result.n == 3 and result.positives == 3


def test_rejects_nan_scores_and_length_mismatch():
    with pytest.raises(ValueError, match="NaN"):
        auc_with_ci([0, 1], [0.1, float("nan")])
    with pytest.raises(ValueError, match="differ in length"):
        auc_with_ci([0, 1, 1], [0.1, 0.2])
