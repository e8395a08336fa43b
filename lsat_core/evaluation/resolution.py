"""What a test set of a given size can resolve, before anything is run: the half-width of a 95%
AUC interval and of a paired AUC difference (docs/method.md section 9).

The AUC's standard error is Hanley and McNeil's (Radiology 1982, eq. 2) at an assumed AUC and
positive rate; the standard error of a paired difference of two AUCs whose estimates correlate
at r is SE * sqrt(2 (1 - r)) (Hanley and McNeil, Radiology 1983). The stored intervals are
DeLong's (`lsat_core.evaluation.metrics`), which these approximate on the wide side: on binormal
scores of AUC 0.70, 448 samples (the quick preset's), DeLong's half-width averages 0.044 against
0.048 here (tested).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm

ASSUMED_AUC = 0.70
"""The level the floors and classic models reach on ML-1M's early periods: popularity 0.70,
logreg 0.71, MF and GRU4Rec 0.70 by full retraining on all of D_3 and D_4 (the command in
README, Presets)."""
ASSUMED_POSITIVE_RATE = 0.57
"""ML-1M's share of liked samples in D_1..D_6 (`lsat data stats ml-1m`: 0.557-0.602)."""
ASSUMED_CORRELATION = 0.85
"""Correlation of two strategies' AUC estimates on the same samples: MF's full retraining and
fine-tuning on all of D_3 and D_4 (20,000 samples) had a paired difference interval 0.55 times
as wide as one AUC's, i.e. sqrt(2 (1 - r)) = 0.55 (README, Presets)."""


@dataclass(frozen=True)
class Resolution:
    samples: int
    auc_half_width: float
    """Half-width of a 95% interval of one AUC on `samples` test samples."""
    paired_half_width: float
    """Half-width of a 95% interval of a paired AUC difference on the same samples."""

    def sentence(self) -> str:
        return (
            f"On {self.samples:,} test samples a 95% AUC interval is about "
            f"±{self.auc_half_width:.3f}, and a paired difference between two strategies about "
            f"±{self.paired_half_width:.3f} (at AUC {ASSUMED_AUC:.2f}, {ASSUMED_POSITIVE_RATE:.0%} "
            f"liked, the two AUCs correlated at r = {ASSUMED_CORRELATION:.2f}): smaller "
            "differences are not resolved."
        )


def auc_standard_error(samples: int, positive_rate: float, auc: float) -> float:
    """Hanley and McNeil's standard error of an AUC on `samples` samples."""
    if samples < 2 or not 0 < positive_rate < 1 or not 0 < auc < 1:
        raise ValueError(
            f"need >= 2 samples, a positive rate and an AUC in (0, 1), got {samples}, "
            f"{positive_rate}, {auc}"
        )
    positives = max(samples * positive_rate, 1.0)
    negatives = max(samples - positives, 1.0)
    q1 = auc / (2 - auc)
    q2 = 2 * auc**2 / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    ) / (positives * negatives)
    return math.sqrt(variance)


def resolution(
    samples: int,
    positive_rate: float = ASSUMED_POSITIVE_RATE,
    auc: float = ASSUMED_AUC,
    correlation: float = ASSUMED_CORRELATION,
    confidence: float = 0.95,
) -> Resolution:
    """The interval half-widths a comparison on `samples` test samples can resolve."""
    if not -1 <= correlation <= 1:
        raise ValueError(f"a correlation lies in [-1, 1], got {correlation}")
    z = float(norm.ppf(0.5 + confidence / 2))
    se = auc_standard_error(samples, positive_rate, auc)
    return Resolution(samples, z * se, z * se * math.sqrt(2 * (1 - correlation)))
