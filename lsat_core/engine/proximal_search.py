"""Proximal fine-tuning's mu chosen on val_t (docs/method.md section 3, Proximal fine-tuning):
one candidate trained from the previous adapter per mu of the grid, each judged by its val_t
scores at its own best validation (no second scoring), the best kept (ties to the earlier mu,
the weaker pull) by `search_coefficient`, as LSAT's alpha and lambda are. The candidates all
start from one adapter, so each after the first is handed the first to reuse what they share
(the LoRA family: its validation of the starting adapter, one val_t pass instead of one per mu).
The whole curve travels with the kept model's stored metrics, so the update records it as those
searches do, and only the kept candidate's learning curve reaches the store.

Torch-free: the candidates are whatever `train` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from lsat_core.curve_points import CurvePoint, CurveSink
from lsat_core.evaluation.coefficients import CoefficientCurve, search_coefficient
from lsat_core.evaluation.metrics import AucResult

Candidate = TypeVar("Candidate")


@dataclass(frozen=True)
class ProximalChoice(Generic[Candidate]):
    kept: Candidate
    candidates: dict[float, Candidate]
    """Every mu's candidate, the kept one included (their costs add up to the update's)."""
    curve: CoefficientCurve


def choose_proximal(
    grid: Sequence[float],
    train: Callable[[float, CurveSink, Candidate | None], Candidate],
    val_scores: Callable[[Candidate], np.ndarray],
    val_labels: np.ndarray,
    curve: CurveSink,
) -> ProximalChoice[Candidate]:
    """`train(mu, sink, first)` for each mu of `grid`, `first` the first mu's candidate (None
    while it trains); the candidate whose `val_scores` have the highest AUC is kept and its
    learning-curve points are passed on to `curve`."""
    candidates: dict[float, Candidate] = {}
    points: dict[float, list[CurvePoint]] = {}
    first: Candidate | None = None
    for mu in grid:
        points[mu] = []
        candidates[mu] = train(mu, points[mu].append, first)
        first = candidates[grid[0]]
    scores = {mu: val_scores(candidate) for mu, candidate in candidates.items()}
    found = search_coefficient(val_labels, scores.__getitem__, grid)
    for point in points[found.best_coefficient]:
        curve(point)
    return ProximalChoice(candidates[found.best_coefficient], candidates, found)


def curve_to_json(curve: CoefficientCurve) -> list[dict[str, Any]]:
    """The curve as stored metrics hold it."""
    return [
        {"coefficient": mu, **vars(result)}
        for mu, result in zip(curve.coefficients, curve.aucs, strict=True)
    ]


def curve_from_json(points: Sequence[dict[str, Any]]) -> CoefficientCurve:
    """The curve `curve_to_json` stored; the best is the first highest AUC, as it was chosen."""
    aucs = tuple(AucResult(**{k: v for k, v in p.items() if k != "coefficient"}) for p in points)
    # A candidate whose val_t AUC is undefined (one label only) is never the best.
    values = [-np.inf if result.auc is None else result.auc for result in aucs]
    best = int(np.argmax(values))
    return CoefficientCurve(
        coefficients=tuple(float(p["coefficient"]) for p in points),
        aucs=aucs,
        best_coefficient=float(points[best]["coefficient"]),
        best_auc=float(values[best]),
    )
