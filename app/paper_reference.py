"""The paper's reference AUCs, shown beside ours on the Compare page.

Copied from the paper's table in docs/method.md section 4: Shi et al., "Preliminary Study on
Incremental Learning for Large Language Model-based Recommender Systems", CIKM 2024, Table 2.
LLaMA-7B backbone, next-period protocol, mean AUC over D_11..D_20. Our default backbone is far
smaller (SmolLM2-135M, docs/method.md section 7), so these are a yardstick for the ranking of
strategies, not for the absolute numbers. The LSAT rows use m = 10, the paper's default.
"""

from __future__ import annotations

from lsat_core.evaluation.protocols import NEXT_PERIOD

REFERENCE_PROTOCOL = NEXT_PERIOD
REFERENCE_BACKBONE = "LLaMA-7B"

PAPER_LABELS: dict[str, str] = {
    "full_retrain": "Full retraining",
    "fine_tune": "Fine-tuning",
    "short_term": "Short-term LoRA",
    "long_term": "Long-term LoRA",
    "lsat_ta": "LSAT-TA (10)",
    "lsat_en_full": "LSAT-EN (full)",
    "lsat_en": "LSAT-EN (10)",
}
"""Strategy name (lsat_core.strategies.registry) -> the paper's row label."""

PAPER_AUC: dict[str, dict[str, float]] = {
    "full_retrain": {"ml-1m": 0.7650, "amazon-book": 0.7780},
    "fine_tune": {"ml-1m": 0.7594, "amazon-book": 0.7696},
    "short_term": {"ml-1m": 0.7638, "amazon-book": 0.7806},
    "long_term": {"ml-1m": 0.7617, "amazon-book": 0.7789},
    "lsat_ta": {"ml-1m": 0.7665, "amazon-book": 0.7813},
    "lsat_en_full": {"ml-1m": 0.7691, "amazon-book": 0.7822},
    "lsat_en": {"ml-1m": 0.7720, "amazon-book": 0.7830},
}
"""Strategy name -> dataset name (lsat_core.data.datasets) -> the paper's mean AUC."""


def paper_auc(strategy: str, dataset: str) -> float | None:
    """The paper's AUC for this strategy on this dataset; None where the paper has none."""
    return PAPER_AUC.get(strategy, {}).get(dataset)
