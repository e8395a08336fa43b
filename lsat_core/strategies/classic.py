"""The classic baselines' update strategies (docs/method.md section 5): "<baseline>:full_retrain" and
"<baseline>:fine_tune", e.g. "mf:full_retrain", "sasrec:fine_tune".

They train what the LLM's full retraining and fine-tuning train (`model_specs.py`): a fresh
model on train_1..train_t plus val_1..val_{t-1}, or the previous period's model trained further
on train_t plus val_{t-1}, kept as it was when that made validation worse
(`classic_family.py`). Each serves its one model, so it works in every protocol and records the
same rows as the LLM strategies.
"""

from __future__ import annotations

import dataclasses

from lsat_core.engine.classic_family import ClassicFamily
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FINE_TUNE, FULL, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import UpdatedModel, single_model
from lsat_core.strategies.names import CLASSIC_BASELINES, CLASSIC_UPDATES, classic_strategy_name

ROLES = {"full_retrain": FULL, "fine_tune": FINE_TUNE}
assert tuple(ROLES) == CLASSIC_UPDATES, "keep strategies.names in step with the roles"
"""Update strategy name -> the role of the model it trains at each period."""


class ClassicUpdate:
    def __init__(self, baseline: str, update: str) -> None:
        if baseline not in CLASSIC_BASELINES or update not in ROLES:
            raise ValueError(f"no classic strategy {baseline}:{update}")
        self.name = classic_strategy_name(baseline, update)
        self.family = baseline
        self.role = ROLES[update]

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, self.role, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        spec = self.components(t, bench.config)["model"]
        updated = single_model(t, bench, spec)
        family = bench.family(self.family)
        assert isinstance(family, ClassicFamily)
        # Warm items are the targets of what the model really trained on, which is more than the
        # workbench's budgeted parts when the family trains on whole periods.
        return dataclasses.replace(updated, seen_items=family.seen_items(spec))


CLASSIC_UPDATE_STRATEGIES = tuple(
    ClassicUpdate(baseline, update) for baseline in CLASSIC_BASELINES for update in CLASSIC_UPDATES
)
