"""The interface every trainable model family offers the workbench (LoRA adapters, baselines)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lsat_core.curve_points import CurveSink, no_curve
from lsat_core.engine.model_specs import ModelSpec
from lsat_core.engine.sample_sets import SampleSet

ProgressSink = Callable[[str, int, int], None]
"""progress(what, done, total)."""
BatchProgress = Callable[[int, int], None]
"""progress(done, total): the samples scored so far of a scoring's, after each of its batches."""


@dataclass(frozen=True)
class FamilyTrainingResult:
    """A trained model and the figures stored with it (JSON-safe metrics)."""

    model: Any
    best_val_auc: float
    start_val_auc: float | None = None
    kept_previous: bool = False
    """Fine-tuning did worse on validation than the model it started from, which was kept."""
    samples_trained: int = 0
    kept_step: int = 0
    """The optimizer step of the checkpoint kept (0: the model it started from): the best
    point of its learning curve."""
    tokens_trained: int | None = None
    seconds: float = 0.0
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        return {
            "best_val_auc": self.best_val_auc,
            "start_val_auc": self.start_val_auc,
            "kept_previous": self.kept_previous,
            "samples_trained": self.samples_trained,
            "tokens_trained": self.tokens_trained,
            "seconds": self.seconds,
            "device": self.device,
            **self.extra,
        }


def keep_if_worse(
    init: Any | None, trained: Any, best_val_auc: float, start_val_auc: float | None
) -> tuple[Any, float, bool]:
    """Fine-tuning's rule for every family (docs/method.md section 3): when training ended below
    the model it started from on validation, that model is kept. Returns the model to keep, its
    validation AUC and whether it is the previous one."""
    if init is not None and start_val_auc is not None and best_val_auc < start_val_auc:
        return init, start_val_auc, True
    return trained, best_val_auc, False


class ModelFamily(Protocol):
    name: str

    def prepare(self) -> None:
        """Load what training and scoring need (e.g. the backbone), so that a bad backbone
        fails before anything is stored or trained."""
        ...

    def key_config(self, spec: ModelSpec) -> dict[str, Any]:
        """Everything besides the data that determines the trained model (hashed into its key)."""
        ...

    def training_set(self, spec: ModelSpec, given: SampleSet) -> SampleSet:
        """The samples it really trains `spec` on when handed `given` (the workbench's, cut to
        the experiment's budget): `given` itself, or whole periods for a family that trains on
        those. Warm items are this set's targets."""
        ...

    def train(
        self,
        spec: ModelSpec,
        train: SampleSet,
        val: SampleSet,
        init: Any | None,
        progress: ProgressSink,
        curve: CurveSink = no_curve,
    ) -> FamilyTrainingResult:
        """Train `spec`, reporting progress and its learning curve's points to `curve`."""
        ...

    def save(self, model: Any, directory: Path) -> str:
        """Write atomically; return the content SHA-256."""
        ...

    def load(self, directory: Path) -> Any: ...

    def score(
        self, model: Any, samples: SampleSet, progress: BatchProgress | None = None
    ) -> np.ndarray:
        """Scores in row order; a family that scores in batches reports each to `progress`."""
        ...

    def score_many(
        self, models: list[Any], samples: SampleSet, progress: BatchProgress | None = None
    ) -> np.ndarray:
        """[len(models), n]: row i as `score(models[i], samples)`, in one pass where the
        family can batch several models together."""
        ...

    def device(self) -> str: ...
