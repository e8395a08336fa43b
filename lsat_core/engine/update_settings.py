"""Settings of the updates beyond the reference's: how a model that continues a previous one is
validated, and the knobs of replay, proximal fine-tuning and sampled full retraining
(docs/method.md sections 2.3 and 3). One frozen config, the experiment's `updates` field, stored
with every run; imports no torch (the dashboard validates forms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lsat_core.errors import ConfigError

WEIGHTINGS = ("uniform", "recency")
PROXIMAL_SEARCH = "search"
"""What users type (`--proximal-coefficient`, the launch form) for a proximal_coefficient of
None: mu chosen on val_t from the grid. A word, since a fixed mu of 0 is plain fine-tuning."""


@dataclass(frozen=True)
class UpdateSettings:
    fine_tune_eval_every: int = 6
    """Optimizer steps between validations of a LoRA that continues the previous period's
    (fine-tuning, replay, proximal): the reference's 6 in tune mode (`train.py`, `eval_step`),
    against 23 for retraining. The patience is the experiment's `fine_tune_patience`."""
    replay_ratio: float = 1.0
    """Replay: earlier training samples drawn per sample of the period's own data (1: as many
    as train_t plus val_{t-1}, the 1:1 default); 0 is plain fine-tuning."""
    proximal_coefficient: float | None = None
    """Proximal fine-tuning: mu of the penalty mu / 2 * ||theta - theta_prev||^2 on the LoRA
    tensors, theta_prev the previous period's adapter; 0 is plain fine-tuning. None: mu is
    chosen on val_t from `proximal_grid` (typed as `PROXIMAL_SEARCH`)."""
    proximal_grid: tuple[float, ...] = (0.0, 0.1, 1.0, 10.0)
    """The mu searched when `proximal_coefficient` is None, each trained from the previous
    adapter and the best on val_t kept: 0 keeps fine-tuning's step among the candidates, so the
    choice never validates below it; 0.1, 1 and 10 span two decades around the fixed default's
    1 (docs/method.md section 3, Proximal fine-tuning)."""
    sampled_budget: int | None = None
    """Sampled full retraining: samples drawn from train_1..train_t plus val_1..val_{t-1}
    (None: as many as train_t holds, one period's worth, so the cost stays flat in t)."""
    sampled_weighting: str = "uniform"
    """uniform: every earlier sample alike; recency: a sample of period p is drawn with weight
    2^(-(t - p) / sampled_half_life)."""
    sampled_half_life: float = 3.0
    """Periods over which the recency weight halves."""

    def __post_init__(self) -> None:
        if isinstance(self.fine_tune_eval_every, bool) or not (
            isinstance(self.fine_tune_eval_every, int) and self.fine_tune_eval_every >= 1
        ):
            raise ConfigError(
                f"must be a positive integer, got {self.fine_tune_eval_every!r}",
                where="fine_tune_eval_every",
            )
        _check_non_negative(self.replay_ratio, "replay_ratio")
        if self.proximal_coefficient is not None:
            _check_non_negative(
                self.proximal_coefficient, "proximal_coefficient", or_word=PROXIMAL_SEARCH
            )
        # A stored config gives the grid back as a JSON list.
        grid = self.proximal_grid
        if isinstance(grid, str) or not isinstance(grid, tuple | list) or not grid:
            raise ConfigError(
                f"must be a non-empty list of mu, got {grid!r}", where="proximal_grid"
            )
        for mu in grid:
            _check_non_negative(mu, "proximal_grid")
        object.__setattr__(self, "proximal_grid", tuple(float(mu) for mu in grid))
        budget = self.sampled_budget
        if budget is not None and (
            isinstance(budget, bool) or not isinstance(budget, int) or budget < 8
        ):
            raise ConfigError(
                # As typed: --sampled-budget and the form give the config's None as 0.
                f"must be 0 (one period) or an integer >= 8, got {budget!r}",
                where="sampled_budget",
            )
        if self.sampled_weighting not in WEIGHTINGS:
            raise ConfigError(
                f"unknown weighting {self.sampled_weighting!r}; choose {' or '.join(WEIGHTINGS)}",
                where="sampled_weighting",
            )
        half_life = self.sampled_half_life
        if (
            isinstance(half_life, bool)
            or not isinstance(half_life, int | float)
            or not (math.isfinite(half_life) and half_life > 0)
        ):
            raise ConfigError(f"must be > 0, got {half_life!r}", where="sampled_half_life")

    @property
    def proximal_candidates(self) -> tuple[float, ...]:
        """The mu proximal fine-tuning trains with: the fixed one, or the grid to choose from."""
        if self.proximal_coefficient is not None:
            return (float(self.proximal_coefficient),)
        return self.proximal_grid


def _check_non_negative(value: object, where: str, or_word: str | None = None) -> None:
    """`or_word`: what users type instead of a number for the field's None, named as the
    alternative in the error."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value >= 0)
    ):
        alternative = "" if or_word is None else f"{or_word} or "
        raise ConfigError(f"must be {alternative}a finite number >= 0, got {value!r}", where=where)
