"""What a trained model is, independent of who asks for it: family, role and update period.

Strategies share models: the short-term LoRA of period t serves LSAT-EN, LSAT-TA and the
short-term strategy alike, and full retraining at m is the long-term LoRA. A `ModelSpec` names
such a model; its key (with the experiment's data, budget and training settings) identifies it in
the store and on disk, so it is trained once however many runs need it.

Training data per role (docs/method.md section 3):
- full: train_1..train_t plus val_1..val_{t-1}, validated on val_t;
- fine_tune: the previous period's fine-tuned model trained further on train_t plus val_{t-1},
  validated on val_t (at t = 1 there is no previous model: it starts fresh);
- short: train_t only, validated on val_t, always fresh.
"""

from __future__ import annotations

from dataclasses import dataclass

FULL, FINE_TUNE, SHORT = "full", "fine_tune", "short"
ROLES = (FULL, FINE_TUNE, SHORT)
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
        """The model this one continues from (fine-tuning only)."""
        if self.role == FINE_TUNE and self.period > 1:
            return ModelSpec(self.family, FINE_TUNE, self.period - 1)
        return None

    @property
    def train_parts(self) -> tuple[Part, ...]:
        t = self.period
        if self.role == FULL:
            return tuple((p, "train") for p in range(1, t + 1)) + tuple(
                (p, "val") for p in range(1, t)
            )
        if self.role == FINE_TUNE:
            return ((t, "train"),) + (((t - 1, "val"),) if t > 1 else ())
        return ((t, "train"),)

    @property
    def val_part(self) -> Part:
        return (self.period, "val")

    @property
    def seen_parts(self) -> tuple[Part, ...]:
        """Every part whose targets this model was trained on, its ancestors' included: what
        makes an item warm for it (docs/method.md section 1, item sets)."""
        if self.role == FINE_TUNE:
            return ModelSpec(self.family, FULL, self.period).train_parts
        return self.train_parts

    def label(self) -> str:
        return f"{self.family}:{self.role}@{self.period}"
