"""Choosing LSAT's coefficient on validation (docs/method.md section 3): alpha of the LSAT-EN
output ensemble, lambda of the LSAT-TA merge, from {0, 0.1, ..., 1} (the reference's grid is
0.1 ... 0.9), keeping the whole curve.

Numpy only, so strategies can declare their work without torch; the tensor merges stay in
`lsat_core.llm.merging`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lsat_core.errors import ConfigError, InputError
from lsat_core.evaluation.metrics import AucResult, auc_with_ci

COEFFICIENT_GRID: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))


def ensemble_scores(long_scores: np.ndarray, short_scores: np.ndarray, alpha: float) -> np.ndarray:
    """LSAT-EN: alpha * P_long(Yes) + (1 - alpha) * P_short(Yes)."""
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"must be in [0, 1], got {alpha}", where="alpha")
    long_arr = np.asarray(long_scores, dtype=np.float64)
    short_arr = np.asarray(short_scores, dtype=np.float64)
    if long_arr.shape != short_arr.shape:
        raise InputError(
            f"score vectors differ in length: {long_arr.shape} vs {short_arr.shape}", where="scores"
        )
    return alpha * long_arr + (1.0 - alpha) * short_arr


@dataclass(frozen=True)
class CoefficientCurve:
    """Validation AUC against the coefficient (alpha for LSAT-EN, lambda for LSAT-TA)."""

    coefficients: tuple[float, ...]
    aucs: tuple[AucResult, ...]
    best_coefficient: float
    """The first coefficient (in grid order) with the highest AUC."""
    best_auc: float


def search_coefficient(
    labels: Sequence[int] | np.ndarray,
    scores_for: Callable[[float], np.ndarray],
    grid: Sequence[float] = COEFFICIENT_GRID,
) -> CoefficientCurve:
    """Evaluate `scores_for(c)` against `labels` for every c of `grid`; keep the curve and the
    argmax (ties go to the earlier coefficient, as the reference's strict `>` does)."""
    if not grid:
        raise ConfigError("the grid is empty", where="grid")
    results, aucs = [], []
    for coefficient in grid:
        result = auc_with_ci(labels, scores_for(coefficient))
        if result.auc is None:
            raise InputError(
                "validation labels hold a single class; AUC is undefined", where="labels"
            )
        results.append(result)
        aucs.append(result.auc)
    best = int(np.argmax(aucs))
    return CoefficientCurve(
        coefficients=tuple(float(c) for c in grid),
        aucs=tuple(results),
        best_coefficient=float(grid[best]),
        best_auc=float(aucs[best]),
    )
