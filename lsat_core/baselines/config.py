"""The one configuration of every classic baseline: training settings and architecture sizes.

docs/method.md section 5 fixes the shared recipe (MSE on the binary label, Adam, lr 1e-3, batch
256, embedding 64, weight decay 1e-5); the per-model sizes follow each model's paper or the
TALLRec baseline code (SAI990323/TALLRec, `baseline/movielens/*_with_label*.py`) and are named
after their model, as RecBole keeps one flat config. This module imports no torch, so the
dashboard can build and validate a config cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lsat_core.data.schema import HISTORY_LENGTH
from lsat_core.errors import ConfigError

ROW_DECAYS = ("touched", "every_step")
"""How weight decay reaches user and item rows (`ClassicTrainConfig.row_decay`)."""

ARCHITECTURE_FIELDS = (
    "embedding_size",
    "gru_layers",
    "caser_horizontal_filters",
    "caser_filter_heights",
    "caser_vertical_filters",
    "sasrec_blocks",
    "sasrec_heads",
    "deepmusic_hidden_size",
)
"""Fields that shape the weights: a model fine-tuned from a previous one must keep them."""


@dataclass(frozen=True)
class ClassicTrainConfig:
    learning_rate: float = 1e-3
    """Adam step size (docs/method.md section 5)."""
    batch_size: int = 256
    """Training samples per Adam step (docs/method.md section 5)."""
    weight_decay: float = 1e-5
    """Adam's L2 penalty, added to the gradient as `torch.optim.Adam(weight_decay=...)` does; on
    user and item rows as `row_decay` says."""
    row_decay: Literal["touched", "every_step"] = "touched"
    """touched: user and item rows are decayed only in the batches that use them
    (`training.decay_touched_rows`); every_step: every row at every step, as Adam's own
    `weight_decay` and the TALLRec baseline code do, which pulls the rows of users and items a
    fine-tuning period lacks toward zero (docs/method.md section 5)."""
    max_epochs: int = 20
    """Upper bound on passes over the training set; early stopping usually ends sooner."""
    evals_per_epoch: int = 4
    """Validations per pass over the training set, evenly spaced: the cadence follows the
    epoch, so a model trained on 190,000 samples is judged as often per pass as one on 9,000."""
    patience_epochs: int = 2
    """Epochs without a better validation before training stops; the best is kept."""
    seed: int = 0
    """Seeds initialisation, shuffling, dropout and unknown-id masking."""
    unknown_rate: float = 0.02
    """Share of training ids (user, target item, history items) replaced by the unknown slot,
    so that slot is learned and scores unseen users and cold items sensibly; 0 leaves it at
    its initial value as the reference code leaves unseen rows (see `vocab.py`)."""
    dropout: float = 0.1
    """Dropout of GRU4Rec, Caser, SASRec and DeepMusic (TALLRec baseline default)."""
    embedding_size: int = 64
    """Width of every id embedding and hidden state (docs/method.md section 5)."""
    gru_layers: int = 1
    """Stacked GRU layers of GRU4Rec (one in Hidasi et al. 2016 and RecBole)."""
    caser_horizontal_filters: int = 16
    """Caser horizontal filters per height (TALLRec baseline: 16)."""
    caser_filter_heights: tuple[int, ...] = (2, 3, 4)
    """Heights of Caser's horizontal filters, each at most the history length (TALLRec: 2, 3, 4)."""
    caser_vertical_filters: int = 4
    """Caser vertical filters (n_v = 4 in Tang & Wang 2018)."""
    sasrec_blocks: int = 1
    """Self-attention blocks of SASRec: one as the TALLRec baseline (the paper uses b = 2 on
    MovieLens-1M; a second block doubles the CPU cost of full retraining)."""
    sasrec_heads: int = 1
    """Attention heads of SASRec (one in the paper)."""
    deepmusic_hidden_size: int = 256
    """Hidden width of DeepMusic's text-to-item-factor MLP."""
    popularity_smoothing_grid: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
    """Pseudo-counts k tried by the `popularity` floor, (likes + k g) / (count + k), the one
    with the best validation AUC kept (docs/method.md section 9: k about 5)."""
    logreg_c_grid: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
    """Inverse L2 strengths C tried by the `logreg` floor, the one with the best validation AUC
    kept (docs/method.md section 9)."""

    def __post_init__(self) -> None:
        positive_ints = (
            "batch_size",
            "max_epochs",
            "evals_per_epoch",
            "patience_epochs",
            "embedding_size",
            "gru_layers",
            "caser_horizontal_filters",
            "caser_vertical_filters",
            "sasrec_blocks",
            "sasrec_heads",
            "deepmusic_hidden_size",
        )
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"must be a positive integer, got {value!r}", where=name)
        if not self.learning_rate > 0:
            raise ConfigError(f"must be > 0, got {self.learning_rate!r}", where="learning_rate")
        if not self.weight_decay >= 0:
            raise ConfigError(f"must be >= 0, got {self.weight_decay!r}", where="weight_decay")
        if self.row_decay not in ROW_DECAYS:
            raise ConfigError(
                f"unknown row decay {self.row_decay!r}; expected {' or '.join(ROW_DECAYS)}",
                where="row_decay",
            )
        for name in ("unknown_rate", "dropout"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ConfigError(f"must be in [0, 1), got {value!r}", where=name)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ConfigError(f"must be a non-negative integer, got {self.seed!r}", where="seed")
        for name in ("popularity_smoothing_grid", "logreg_c_grid"):
            grid = getattr(self, name)
            if not grid or any(
                isinstance(v, bool) or not isinstance(v, int | float) or not v > 0 for v in grid
            ):
                raise ConfigError(f"must be positive numbers, got {grid!r}", where=name)
        heights = self.caser_filter_heights
        if not heights or any(
            not isinstance(h, int) or isinstance(h, bool) or not 1 <= h <= HISTORY_LENGTH
            for h in heights
        ):
            raise ConfigError(
                f"must be integers in 1..{HISTORY_LENGTH}, got {heights!r}",
                where="caser_filter_heights",
            )
        if self.embedding_size % self.sasrec_heads:
            raise ConfigError(
                f"{self.sasrec_heads} heads do not divide embedding_size {self.embedding_size}",
                where="sasrec_heads",
            )

    def architecture_mismatch(self, other: ClassicTrainConfig) -> list[str]:
        """Names of the weight-shaping fields on which `other` differs from this config."""
        return [f for f in ARCHITECTURE_FIELDS if getattr(self, f) != getattr(other, f)]
