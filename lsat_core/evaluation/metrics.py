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


def delong_variance(labels: np.ndarray, scores: np.ndarray) -> float:
    """Variance of the AUC estimate by DeLong's method (midranks handle ties)."""
    pos = scores[labels == 1]
    neg = scores[labels == 0]
    m, n = len(pos), len(neg)
    combined = np.concatenate([pos, neg])
    ranks_all = rankdata(combined)
    ranks_pos = rankdata(pos)
    ranks_neg = rankdata(neg)
    # Structural components: V10 per positive, V01 per negative.
    v10 = (ranks_all[:m] - ranks_pos) / n
    v01 = 1.0 - (ranks_all[m:] - ranks_neg) / m
    s10 = np.var(v10, ddof=1) if m > 1 else 0.0
    s01 = np.var(v01, ddof=1) if n > 1 else 0.0
    return float(s10 / m + s01 / n)


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
