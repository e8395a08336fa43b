"""Paired comparisons of two models scored on the same samples (docs/method.md section 9).

Two strategies tested on the same period are strongly correlated, so their AUCs are compared by
the paired DeLong test (DeLong, DeLong & Clarke-Pearson 1988): the difference's variance is
S11 + S22 - 2 S12 of the joint covariance of the structural components. Periods are independent
test sets, so a mean of per-period differences has variance sum(var_t) / T^2 (several updates
tested on one period, as fixed-target's on D_T, are a contrast under their joint covariance).
The paired bootstrap (resampling within each period, same indices for both models) is the
distribution-free check of both. Many pairs in one comparison: Holm-adjusted p-values. Two
strategies run with k seeds each: paired seed with seed, combined as `over_seeds` says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, rankdata

from lsat_core.evaluation.metrics import components_covariance, structural_components


@dataclass(frozen=True)
class AucDifference:
    """AUC of model a minus AUC of model b, with its DeLong variance and a normal test."""

    auc_a: float
    """Model a's AUC (over several cells: the mean of its per-cell AUCs)."""
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


Components = tuple[np.ndarray, np.ndarray]
"""DeLong's structural components of one model's cells on one period: V10 [cells, positives]
and V01 [cells, negatives] (`metrics.structural_components`)."""
PeriodScores = tuple[np.ndarray, np.ndarray, np.ndarray]
"""One tested period: its labels [n] and models a's and b's scores, [n] or [cells, n] (several
cells where one period tests several updates, as fixed-target's D_T; row i of a pairs with row
i of b)."""


def paired_delong(
    labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray, confidence: float = 0.95
) -> AucDifference:
    """The paired DeLong test of AUC(a) - AUC(b) on one test set."""
    return pooled_paired_delong([(labels, scores_a, scores_b)], confidence)


def pooled_paired_delong(
    periods: Sequence[PeriodScores], confidence: float = 0.95
) -> AucDifference:
    """The mean over every cell of AUC(a) - AUC(b), tested against zero.

    Periods are independent test sets, so their variances add: with one cell per period the mean
    of T differences has variance sum(var_t) / T^2. Cells on one same period share its samples,
    so within a period the variance is that of the contrast (+1 for a's cells, -1 for b's) under
    the joint DeLong covariance of all of them.
    """
    pairs = []
    for labels, scores_a, scores_b in periods:
        y, scores = _checked(labels, scores_a, scores_b)
        k = scores.shape[0] // 2
        v10, v01 = structural_components(y, scores)
        pairs.append(((v10[:k], v01[:k]), (v10[k:], v01[k:])))
    return pooled_from_components(pairs, confidence)


def pooled_from_components(
    periods: Sequence[tuple[Components, Components]], confidence: float = 0.95
) -> AucDifference:
    """`pooled_paired_delong` from each model's structural components on each period
    (`metrics.structural_components`): ranking is the costly part, and a model compared with
    many others needs its components once, not once per pair."""
    if not periods:
        raise ValueError("no periods to pool")
    cells = 0
    auc_sums = np.zeros(2)
    variance = 0.0
    for (v10_a, v01_a), (v10_b, v01_b) in periods:
        if v10_a.shape != v10_b.shape or v01_a.shape != v01_b.shape:
            raise ValueError(
                f"models a and b differ in cells or samples: {v10_a.shape}, {v10_b.shape}"
            )
        k = v10_a.shape[0]
        v10, v01 = np.vstack([v10_a, v10_b]), np.vstack([v01_a, v01_b])
        aucs = v10.mean(axis=1)  # an AUC is the mean of its positives' components
        auc_sums += aucs[:k].sum(), aucs[k:].sum()
        contrast = np.r_[np.ones(k), -np.ones(k)]
        variance += float(contrast @ components_covariance(v10, v01) @ contrast)
        cells += k
    auc_a, auc_b = auc_sums / cells
    return normal_test(float(auc_a), float(auc_b), max(variance, 0.0) / cells**2, confidence)


def paired_bootstrap(
    periods: Sequence[PeriodScores],
    *,
    resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapDifference:
    """Bootstrap of `pooled_paired_delong`'s difference, its distribution-free check.

    Each resample draws, within every period and within each class, samples with replacement,
    the same indices for every cell of both models. Keeping each period's positives and
    negatives at their counts matches DeLong's variance, which is conditional on them.
    """
    rng = np.random.default_rng(seed)
    cells = 0
    observed = 0.0
    resampled = np.zeros(resamples)
    for labels, scores_a, scores_b in periods:
        y, scores = _checked(labels, scores_a, scores_b)
        k = scores.shape[0] // 2
        aucs = _aucs(y, scores)
        observed += aucs[:k].sum() - aucs[k:].sum()
        pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        # [resamples, m + n] indices, positives first (what _resampled_aucs expects).
        index = np.hstack(
            [rng.choice(pos, (resamples, pos.size)), rng.choice(neg, (resamples, neg.size))]
        )
        for row in range(2 * k):
            sign = 1.0 if row < k else -1.0
            resampled += sign * _resampled_aucs(scores[row][index], pos.size)
        cells += k
    resampled /= cells
    tail = (1 - confidence) / 2
    low, high = np.quantile(resampled, [tail, 1 - tail])
    return BootstrapDifference(
        difference=float(observed / cells),
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


def between_seeds_variance(seed_differences: Sequence[float]) -> float:
    """The variance that k seeds' spread adds to the mean of their k differences: s^2 / k, 0 for
    one seed (its training randomness is then not measured)."""
    k = len(seed_differences)
    return float(np.var(seed_differences, ddof=1)) / k if k > 1 else 0.0


def over_seeds(
    pooled: AucDifference, seed_differences: Sequence[float], confidence: float = 0.95
) -> AucDifference:
    """Two strategies' difference over k seeds, paired seed with seed.

    `pooled` is the DeLong test of the mean difference over every seed's cells: the seeds are
    tested on the same samples, so their cells are stacked on each period under the joint
    covariance (`pooled_from_components`), not counted as independent test sets. That variance
    is conditional on the trained models; the spread of the k per-seed differences measures how
    much the difference moves when the models are trained again, and adds s^2 / k. The two
    overlap a little (each seed's difference carries some sampling noise too), which errs on
    the wide side.
    """
    variance = pooled.variance + between_seeds_variance(seed_differences)
    return normal_test(pooled.auc_a, pooled.auc_b, variance, confidence)


def _checked(
    labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Labels [n] and both models' cells stacked [2 * cells, n]: a's rows, then b's."""
    y = np.asarray(labels, dtype=np.int64).ravel()
    a = np.atleast_2d(np.asarray(scores_a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(scores_b, dtype=np.float64))
    if not y.size == a.shape[1] == b.shape[1]:
        raise ValueError(f"labels and scores differ in length: {y.size}, {a.shape}, {b.shape}")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"models a and b have {a.shape[0]} and {b.shape[0]} cells")
    scores = np.vstack([a, b])
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores contain NaN or infinity")
    positives = int(y.sum())
    if positives in (0, y.size):
        raise ValueError(f"AUC undefined: {y.size} samples, {positives} positive")
    return y, scores


def _aucs(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """AUC of each row of `scores` by the Mann-Whitney statistic."""
    order = np.argsort(labels == 0, kind="stable")  # positives first
    return _resampled_aucs(scores[:, order], int(labels.sum()))


def _resampled_aucs(scores: np.ndarray, positives: int) -> np.ndarray:
    """AUC of each row of `scores` [k, m + n] whose first `positives` columns are the positives."""
    negatives = scores.shape[1] - positives
    rank_sum = rankdata(scores, axis=1)[:, :positives].sum(axis=1)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def normal_test(auc_a: float, auc_b: float, variance: float, confidence: float) -> AucDifference:
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
