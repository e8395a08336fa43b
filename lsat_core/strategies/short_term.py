"""Short-term LoRA: a fresh LoRA trained on train_t only, never continued from the previous one
(docs/method.md section 3; LSAT's recency component)."""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, SHORT, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model


class ShortTerm(Strategy):
    name = "short_term"
    family = LORA
    summary = "a fresh LoRA on train_t only, the latest period"

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, SHORT, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return single_model(t, bench, self.components(t, bench.config)["model"])
