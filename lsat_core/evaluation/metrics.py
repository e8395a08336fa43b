"""AUC with its sample size and a 95% confidence interval.

The paper reports global ROC AUC over all test samples (scikit-learn's `roc_auc_score`). Small
`quick` samples make AUC noisy, so every AUC we store carries n, the number of positives and a
DeLong interval (DeLong et al. 1988, fast midrank form of Sun & Xu 2014).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, rankdata
from sklearn.metrics import roc_auc_score


@dataclass(frozen=True)
class AucResult:
    auc: float | None
    """None when the set holds a single class (AUC undefined)."""
    n: int
    positives: int
    ci_low: float | None
    ci_high: float | None


def structural_components(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components of each row of `scores` ([k, n], or one vector).

    Returns V10 [k, positives] and V01 [k, negatives]: for a positive, the share of negatives it
    outranks (ties count half); for a negative, the share of positives that outrank it. Each
    row's AUC is the mean of either. Midranks give all of them in O(n log n) (Sun & Xu 2014).
    """
    scores = np.atleast_2d(scores)
    pos = scores[:, labels == 1]
    neg = scores[:, labels == 0]
    m, n = pos.shape[1], neg.shape[1]
    ranks_all = rankdata(np.concatenate([pos, neg], axis=1), axis=1)
    v10 = (ranks_all[:, :m] - rankdata(pos, axis=1)) / n
    v01 = 1.0 - (ranks_all[:, m:] - rankdata(neg, axis=1)) / m
    return v10, v01


def delong_covariance(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The [k, k] covariance of the AUCs of the rows of `scores`, all scored on the same samples."""
    return components_covariance(*structural_components(labels, scores))


def components_covariance(v10: np.ndarray, v01: np.ndarray) -> np.ndarray:
    """The [k, k] AUC covariance from the structural components of k models on the same samples
    (DeLong: S10 / m + S01 / n)."""
    return _component_covariance(v10) / v10.shape[1] + _component_covariance(v01) / v01.shape[1]


def _component_covariance(components: np.ndarray) -> np.ndarray:
    k, count = components.shape
    if count < 2:  # one sample: no spread to estimate
        return np.zeros((k, k))
    return np.atleast_2d(np.cov(components, ddof=1))


def delong_variance(labels: np.ndarray, scores: np.ndarray) -> float:
    """Variance of the AUC estimate by DeLong's method (midranks handle ties)."""
    return float(delong_covariance(labels, scores)[0, 0])


def auc_with_ci(labels, scores, confidence: float = 0.95) -> AucResult:
    """Global ROC AUC of `scores` against binary `labels`, with a DeLong interval in [0, 1]."""
    y = np.asarray(labels, dtype=np.int64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.shape[0]} vs {s.shape[0]}")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinity")
    positives = int(y.sum())
    n = int(y.size)
    if positives == 0 or positives == n:
        return AucResult(auc=None, n=n, positives=positives, ci_low=None, ci_high=None)
    auc = float(roc_auc_score(y, s))
    half = norm.ppf(0.5 + confidence / 2) * math.sqrt(max(delong_variance(y, s), 0.0))
    return AucResult(
        auc=auc, n=n, positives=positives, ci_low=max(0.0, auc - half), ci_high=min(1.0, auc + half)
    )
