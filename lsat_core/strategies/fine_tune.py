"""Fine-tuning: the previous period's LoRA trained further on train_t (plus val_{t-1}),
validated on val_t; if its best validation AUC is below the starting adapter's, the previous
adapter is kept (docs/method.md section 3; the rule lives in the LoRA family's training step)."""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FINE_TUNE, LORA, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model


class FineTune(Strategy):
    name = "fine_tune"
    family = LORA
    summary = "the previous LoRA trained further on train_t, kept as it was if validation worsens"

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, FINE_TUNE, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return single_model(t, bench, self.components(t, bench.config)["model"])
