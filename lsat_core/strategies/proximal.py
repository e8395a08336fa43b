"""Proximal fine-tuning (PESO, ICLR 2026: proximal regularisation of one evolving LoRA):
fine-tuning on train_t plus val_{t-1} whose loss adds mu / 2 * ||theta - theta_{t-1}||^2 over
the LoRA tensors, pulling the adapter toward the previous period's; validated on val_t and kept
as it was when that made validation worse (docs/method.md section 3). mu is
`updates.proximal_coefficient` when the user fixes it (a number), else (typed `search`) chosen
on val_t from `updates.proximal_grid` (one candidate trained per mu,
`lsat_core.engine.proximal_search`), the whole curve kept with the update. With mu = 0 fixed
it is fine-tuning, and shares its models."""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, PROXIMAL, ModelSpec
from lsat_core.engine.proximal_search import curve_from_json
from lsat_core.engine.update_settings import PROXIMAL_SEARCH, UpdateSettings
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, served
from lsat_core.strategies.knobs import Knob

_GRID = ", ".join(f"{mu:g}" for mu in UpdateSettings().proximal_grid)
PROXIMAL_COEFFICIENT = Knob(
    "updates",
    "proximal_coefficient",
    "--proximal-coefficient",
    "Proximal coefficient mu",
    "proximal: mu of the penalty mu / 2 ||theta - theta_{t-1}||^2 that pulls the fine-tuned LoRA "
    f"toward the previous period's adapter. {PROXIMAL_SEARCH} chooses it on val_t from {_GRID}, "
    "training one candidate per value; a number at least 0 fixes it, one training (0 is plain "
    "fine-tuning, fine_tune's model) (docs/method.md section 3, Proximal fine-tuning).",
    none_word=PROXIMAL_SEARCH,
)


class Proximal(Strategy):
    name = "proximal"
    family = LORA
    summary = "fine-tuning with an L2 pull toward the previous period's LoRA (PESO)"
    knobs = (PROXIMAL_COEFFICIENT,)
    # No val_t scoring of its own: the grid's candidates are judged by the validations of their
    # own trainings, which the work estimate counts with each training (lsat_core.runner.work_plan
    # .trainings).

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, PROXIMAL, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        spec = self.components(t, bench.config)["model"]
        stored = bench.model(spec).metrics.get("proximal_curve")
        curve = curve_from_json(stored) if stored else None
        fixed = bench.config.updates.proximal_candidates[0] if spec.parent else None
        return served(
            t,
            bench,
            {"model": spec},
            lambda samples: bench.scores(spec, samples),
            coefficient=curve.best_coefficient if curve else fixed,
            curve=curve,
        )
