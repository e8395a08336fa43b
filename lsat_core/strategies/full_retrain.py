"""Full retraining: at period t, a fresh LoRA on train_1..train_t plus val_1..val_{t-1},
validated on val_t (docs/method.md section 3; early-stopping patience 10 as in the reference)."""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FULL, LORA, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model


class FullRetrain(Strategy):
    name = "full_retrain"
    family = LORA
    summary = "a fresh LoRA on every period so far (train_1..t, val_1..t-1) at each update"

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, FULL, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return single_model(t, bench, self.components(t, bench.config)["model"])
