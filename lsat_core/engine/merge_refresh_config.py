"""Settings of the LoRA strategies that merge the two adapters with PEFT (lsat_ta_ties,
lsat_ta_dare, lsat_ta_svd) or refresh the long-term adapter (lsat_en_drift, lsat_en_every_k);
docs/method.md section 3.

It lives in the engine, beside `ExperimentConfig` that holds it, not beside those strategies: the
engine is the layer strategies build on and imports none of them (tests/lsat_core/test_layers.py).
No torch here: the dashboard validates it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsat_core.errors import ConfigError

MAJORITY_SIGN_METHODS = ("total", "frequency")


@dataclass(frozen=True)
class MergeRefreshConfig:
    merge_density: float = 0.2
    """ties and dare_ties: the share of each adapter's lora_A / lora_B entries kept (ties: the
    largest; dare_ties: a random draw, rescaled). 0.2 is what PEFT's model-merging guide uses and
    TIES-Merging's top-20%; 1 keeps every entry."""
    majority_sign_method: str = "total"
    """ties and dare_ties: how the sign of an entry is elected, by the summed values ("total",
    PEFT's default and the paper's) or by the count of each sign ("frequency")."""
    svd_rank: int | None = None
    """svd: rank of the merged adapter (None: the adapters' rank, PEFT's default)."""
    drift_threshold: float = 0.01
    """lsat_en_drift: refresh the long-term LoRA when its AUC on val_t is more than this below its
    AUC on the validation set of the period it was trained at."""
    refresh_every: int = 3
    """lsat_en_every_k: k, retrain the long-term LoRA every k periods after m (1: every period,
    LSAT-EN (full)). `ExperimentConfig.long_term_refresh` does the same to lsat_en, long_term and
    lsat_ta themselves; this one lets an experiment set both side by side."""

    def __post_init__(self) -> None:
        if not 0.0 < self.merge_density <= 1.0:
            raise ConfigError(f"must be in (0, 1], got {self.merge_density}", where="merge_density")
        if self.majority_sign_method not in MAJORITY_SIGN_METHODS:
            raise ConfigError(
                f"unknown method {self.majority_sign_method!r}; expected "
                f"{' or '.join(MAJORITY_SIGN_METHODS)}",
                where="majority_sign_method",
            )
        if self.svd_rank is not None and self.svd_rank < 1:
            # As typed: --svd-rank and the form give the config's None (the adapters' rank) as 0.
            raise ConfigError(
                f"must be 0 (the adapters' rank) or an integer >= 1, got {self.svd_rank}",
                where="svd_rank",
            )
        if not 0.0 <= self.drift_threshold <= 1.0:
            raise ConfigError(
                f"must be in [0, 1], got {self.drift_threshold}", where="drift_threshold"
            )
        if self.refresh_every < 1:
            raise ConfigError(f"must be >= 1, got {self.refresh_every}", where="refresh_every")
