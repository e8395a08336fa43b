"""Proximal fine-tuning (PESO, ICLR 2026: proximal regularisation of one evolving LoRA):
fine-tuning on train_t plus val_{t-1} whose loss adds mu / 2 * ||theta - theta_{t-1}||^2 over
the LoRA tensors, pulling the adapter toward the previous period's, mu being
`updates.proximal_coefficient` (fixed by the user, not searched); validated on val_t and kept as
it was when that made validation worse (docs/method.md section 3). With mu = 0 it is
fine-tuning, and shares its models."""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, PROXIMAL, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model
from lsat_core.strategies.knobs import Knob

PROXIMAL_COEFFICIENT = Knob(
    "updates",
    "proximal_coefficient",
    "--proximal-coefficient",
    "Proximal coefficient mu",
    "proximal: mu of the penalty mu / 2 ||theta - theta_{t-1}||^2 that pulls the fine-tuned LoRA "
    "toward the previous period's adapter; 0 is plain fine-tuning; at least 0 "
    "(docs/method.md section 3, Proximal fine-tuning).",
)


class Proximal(Strategy):
    name = "proximal"
    family = LORA
    summary = "fine-tuning with an L2 pull toward the previous period's LoRA (PESO)"
    knobs = (PROXIMAL_COEFFICIENT,)

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, PROXIMAL, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return single_model(t, bench, self.components(t, bench.config)["model"])
