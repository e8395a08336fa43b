"""A learning curve's points as the training loops report them (docs/method.md section 2.3 and 5).

Torch-free and store-free, so the LoRA and classic loops can report points without knowing
where they go, and the store and the dashboard can read them without loading torch.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass


class CurveKind(enum.StrEnum):
    TRAIN_LOSS = "loss"
    """The training loss of a logged step (LoRA: each optimizer step; classic: the mean since
    the previous validation)."""
    VAL_AUC = "val_auc"
    """The validation AUC of an evaluation (step 0: the model fine-tuning starts from)."""


@dataclass(frozen=True)
class CurvePoint:
    kind: CurveKind
    step: int
    """Optimizer steps done."""
    samples_seen: int
    """Training samples processed (a sample seen in two epochs counts twice)."""
    value: float
    is_best: bool = False
    """A validation whose weights are the best so far (what the loop would keep now)."""


CurveSink = Callable[[CurvePoint], None]


def no_curve(point: CurvePoint) -> None:
    return None
