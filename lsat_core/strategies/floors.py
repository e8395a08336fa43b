"""The floors as strategies (docs/method.md section 9): "popularity" and "logreg".

Each period the floor is refitted on what full retraining trains on (train_1..train_t plus
val_1..val_{t-1}), its one hyper-parameter chosen on val_t (`lsat_core.baselines.floor`); it
has no fine-tuning variant. Scored and stored like every other strategy, so each comparison
carries the two reference lines a classic or LLM recommender should stay above.
"""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FULL, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model

FLOORS = {
    "popularity": "floor: the target item's smoothed like-rate over the training data",
    "logreg": "floor: L2 logistic regression on one-hot user + one-hot item",
}
"""Floor name -> summary; the names are the keys of `lsat_core.baselines.registry.FLOORS`,
restated because that module imports torch."""


class Floor(Strategy):
    def __init__(self, name: str) -> None:
        if name not in FLOORS:
            raise ValueError(f"no floor {name}; one of {', '.join(FLOORS)}")
        self.name = name
        self.family = name
        self.summary = FLOORS[name]

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, FULL, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        # Warm items: the targets of the whole periods the floor was fitted on (its family's).
        return single_model(t, bench, self.components(t, bench.config)["model"])


FLOOR_STRATEGIES = tuple(Floor(name) for name in FLOORS)
