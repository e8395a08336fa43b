"""LSAT-EN's ensemble and the coefficient search on validation (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from lsat_core.errors import InputError
from lsat_core.evaluation.coefficients import COEFFICIENT_GRID, ensemble_scores, search_coefficient


def test_ensemble_is_the_weighted_average() -> None:
    long, short = np.array([0.9, 0.2, 0.4]), np.array([0.1, 0.6, 0.4])
    np.testing.assert_allclose(ensemble_scores(long, short, 0.25), 0.25 * long + 0.75 * short)
    np.testing.assert_array_equal(ensemble_scores(long, short, 1.0), long)
    with pytest.raises(InputError, match="differ in length"):
        ensemble_scores(long, short[:2], 0.5)


def test_coefficient_search_keeps_the_curve_and_picks_its_argmax() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    signal = labels + rng.normal(0, 1.0, 400)
    # Long scores are the signal, short scores the signal with a distortion: the curve peaks
    # inside the grid, not at an end.
    long, short = signal + rng.normal(0, 1.5, 400), signal + rng.normal(0, 1.5, 400)
    curve = search_coefficient(labels, lambda a: ensemble_scores(long, short, a))
    assert (
        curve.coefficients
        == COEFFICIENT_GRID
        == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    )
    aucs = [r.auc for r in curve.aucs]
    assert curve.best_auc == max(aucs)
    assert curve.best_coefficient == COEFFICIENT_GRID[int(np.argmax(aucs))]
    assert 0.0 < curve.best_coefficient < 1.0
    assert all(r.n == 400 for r in curve.aucs)


def test_coefficient_ties_go_to_the_first_and_one_class_is_an_error() -> None:
    labels = np.array([0, 1, 0, 1])
    curve = search_coefficient(labels, lambda c: np.array([0.1, 0.9, 0.2, 0.8]), grid=(0.4, 0.2))
    assert curve.best_coefficient == 0.4
    with pytest.raises(InputError, match="single class"):
        search_coefficient(np.ones(4), lambda c: np.arange(4.0))
