"""Paired comparisons of two models scored on the same samples (docs/method.md section 9).

Two strategies tested on the same period are strongly correlated, so their AUCs are compared by
the paired DeLong test (DeLong, DeLong & Clarke-Pearson 1988): the difference's variance is
S11 + S22 - 2 S12 of the joint covariance of the structural components. Periods are independent
test sets, so a mean of per-period differences has variance sum(var_t) / T^2. The paired
bootstrap (resampling within each period, same indices for both models) is the
distribution-free check of both. Many pairs in one comparison: Holm-adjusted p-values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, rankdata

from lsat_core.evaluation.metrics import delong_covariance


@dataclass(frozen=True)
class AucDifference:
    """AUC of model a minus AUC of model b, with its DeLong variance and a normal test."""

    auc_a: float
    """Model a's AUC (over several periods: the mean of its per-period AUCs)."""
    auc_b: float
    difference: float
    variance: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    """Two-sided, for the null hypothesis of equal AUCs."""


@dataclass(frozen=True)
class BootstrapDifference:
    difference: float
    """The difference on the original samples (the mean of per-period differences)."""
    std_error: float
    """Standard deviation of the resampled differences."""
    ci_low: float
    """Percentile interval of the resampled differences."""
    ci_high: float
    resamples: int


def paired_delong(
    labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray, confidence: float = 0.95
) -> AucDifference:
    """The paired DeLong test of AUC(a) - AUC(b) on one test set."""
    y = np.asarray(labels, dtype=np.int64).ravel()
    a = np.asarray(scores_a, dtype=np.float64).ravel()
    b = np.asarray(scores_b, dtype=np.float64).ravel()
    if not y.size == a.size == b.size:
        raise ValueError(f"labels and scores differ in length: {y.size}, {a.size}, {b.size}")
    scores = np.vstack([a, b])
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores contain NaN or infinity")
    positives = int(y.sum())
    if positives in (0, y.size):
        raise ValueError(f"AUC undefined: {y.size} samples, {positives} positive")
    aucs = _aucs(y, scores)
    s = delong_covariance(y, scores)
    variance = max(float(s[0, 0] + s[1, 1] - 2 * s[0, 1]), 0.0)
    return _normal_test(float(aucs[0]), float(aucs[1]), variance, confidence)


def pooled_difference(periods: Sequence[AucDifference], confidence: float = 0.95) -> AucDifference:
    """The mean of per-period differences; its variance is sum(var_t) / T^2 (independent sets)."""
    if not periods:
        raise ValueError("no periods to pool")
    count = len(periods)
    variance = sum(p.variance for p in periods) / count**2
    return _normal_test(
        sum(p.auc_a for p in periods) / count,
        sum(p.auc_b for p in periods) / count,
        variance,
        confidence,
    )


def paired_bootstrap(
    labels: Sequence[np.ndarray],
    scores_a: Sequence[np.ndarray],
    scores_b: Sequence[np.ndarray],
    *,
    resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapDifference:
    """Bootstrap of the mean over periods of AUC(a) - AUC(b), one array per period.

    Each resample draws, within every period and within each class, samples with replacement,
    the same indices for both models. Keeping each period's positives and negatives at their
    counts matches DeLong's variance, which is conditional on them.
    """
    rng = np.random.default_rng(seed)
    observed = 0.0
    resampled = np.zeros(resamples)
    for y, a, b in zip(labels, scores_a, scores_b, strict=True):
        y = np.asarray(y, dtype=np.int64)
        scores = np.vstack([np.asarray(a, dtype=np.float64), np.asarray(b)])
        pos = np.flatnonzero(y == 1)
        neg = np.flatnonzero(y == 0)
        if pos.size == 0 or neg.size == 0:
            raise ValueError(f"AUC undefined in a period: {y.size} samples, {pos.size} positive")
        auc_a, auc_b = _aucs(y, scores)
        observed += auc_a - auc_b
        # [resamples, m + n] indices, positives first (what _resampled_aucs expects).
        index = np.hstack(
            [rng.choice(pos, (resamples, pos.size)), rng.choice(neg, (resamples, neg.size))]
        )
        resampled += _resampled_aucs(scores[0][index], pos.size)
        resampled -= _resampled_aucs(scores[1][index], pos.size)
    count = len(labels)
    resampled /= count
    tail = (1 - confidence) / 2
    low, high = np.quantile(resampled, [tail, 1 - tail])
    return BootstrapDifference(
        difference=float(observed / count),
        std_error=float(np.std(resampled, ddof=1)),
        ci_low=float(low),
        ci_high=float(high),
        resamples=resamples,
    )


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, kept monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p)
    scaled = p[order] * (p.size - np.arange(p.size))
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted


def _aucs(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """AUC of each row of `scores` by the Mann-Whitney statistic."""
    order = np.argsort(labels == 0, kind="stable")  # positives first
    return _resampled_aucs(scores[:, order], int(labels.sum()))


def _resampled_aucs(scores: np.ndarray, positives: int) -> np.ndarray:
    """AUC of each row of `scores` [k, m + n] whose first `positives` columns are the positives."""
    negatives = scores.shape[1] - positives
    rank_sum = rankdata(scores, axis=1)[:, :positives].sum(axis=1)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _normal_test(auc_a: float, auc_b: float, variance: float, confidence: float) -> AucDifference:
    difference = auc_a - auc_b
    std = math.sqrt(variance)
    half = float(norm.ppf(0.5 + confidence / 2)) * std
    if std > 0:
        z = difference / std
        p_value = float(2 * norm.sf(abs(z)))
    else:  # identical rankings: no spread, and a difference only if one is certain
        z = 0.0 if difference == 0 else math.copysign(math.inf, difference)
        p_value = 1.0 if difference == 0 else 0.0
    return AucDifference(
        auc_a=auc_a,
        auc_b=auc_b,
        difference=difference,
        variance=variance,
        ci_low=difference - half,
        ci_high=difference + half,
        z=z,
        p_value=p_value,
    )
