"""What a trained model is, independent of who asks for it: family, role and update period.

Strategies share models: the short-term LoRA of period t serves LSAT-EN, LSAT-TA and the
short-term strategy alike, and full retraining at m is the long-term LoRA. A `ModelSpec` names
such a model; the workbench keys it by what determines its weights (its training and validation
samples, training settings, seed and parent), so it is trained once however many runs need it,
and two specs that train the same thing (full retraining and the short-term LoRA at t = 1) share
one model.

Training data per role (docs/method.md section 3):
- full: train_1..train_t plus val_1..val_{t-1}, validated on val_t;
- fine_tune: the previous period's fine-tuned model trained further on train_t plus val_{t-1},
  validated on val_t (at t = 1 there is no previous model: it starts fresh);
- short: train_t only, validated on val_t, always fresh;
- replay: as fine_tune, plus a sample drawn from the earlier periods' training data
  (train_1..train_{t-1} plus val_1..val_{t-2});
- proximal: as fine_tune, with a penalty pulling the weights toward the previous period's;
- sampled: a fresh model on a sample drawn from full retraining's data.
The draws are `training_data.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lsat_core.engine.update_settings import UpdateSettings

FULL, FINE_TUNE, SHORT = "full", "fine_tune", "short"
REPLAY, PROXIMAL, SAMPLED = "replay", "proximal", "sampled"
ROLES = (FULL, FINE_TUNE, SHORT, REPLAY, PROXIMAL, SAMPLED)
CONTINUING = frozenset({FINE_TUNE, REPLAY, PROXIMAL})
"""Roles that continue the previous period's model of the same role."""
LORA = "lora"
"""The family of TALLRec LoRA adapters; classic baselines use their own names."""

Part = tuple[int, str]
"""(period, "train" | "val")."""


@dataclass(frozen=True)
class ModelSpec:
    family: str
    role: str
    period: int

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.period < 1:
            raise ValueError(f"period must be >= 1, got {self.period}")

    @property
    def parent(self) -> ModelSpec | None:
        """The model this one continues from (the continuing roles, from t = 2)."""
        if self.role in CONTINUING and self.period > 1:
            return ModelSpec(self.family, self.role, self.period - 1)
        return None

    @property
    def train_parts(self) -> tuple[Part, ...]:
        """The parts its training data comes from: taken whole, except that a sampled model
        draws its samples from them."""
        t = self.period
        if self.role in (FULL, SAMPLED):
            return full_parts(t)
        if self.role in CONTINUING:
            return ((t, "train"),) + (((t - 1, "val"),) if t > 1 else ())
        return ((t, "train"),)

    @property
    def replay_parts(self) -> tuple[Part, ...]:
        """Earlier training data a replay model draws from (none for the other roles)."""
        if self.role == REPLAY and self.period > 1:
            return full_parts(self.period - 1)
        return ()

    def pulls(self, updates: UpdateSettings) -> tuple[float, ...]:
        """The mu of the pull toward the previous adapter this model trains with, one per
        training: a proximal update's fixed mu or its grid to choose from on val_t, else (0.0,),
        plain training (docs/method.md section 3, Proximal fine-tuning)."""
        if self.role == PROXIMAL and self.parent is not None:
            return updates.proximal_candidates
        return (0.0,)

    @property
    def val_part(self) -> Part:
        return (self.period, "val")

    def label(self) -> str:
        return f"{self.family}:{self.role}@{self.period}"


def full_parts(t: int) -> tuple[Part, ...]:
    """Full retraining's data at t: train_1..train_t plus val_1..val_{t-1}."""
    return tuple((p, "train") for p in range(1, t + 1)) + tuple((p, "val") for p in range(1, t))
