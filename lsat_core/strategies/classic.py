"""The classic baselines' updates (docs/method.md section 5): "<baseline>:full_retrain" and
"<baseline>:fine_tune", e.g. "mf:full_retrain", "sasrec:fine_tune".

They train what the LLM's full retraining and fine-tuning train (`model_specs.py`): a fresh
model on train_1..train_t plus val_1..val_{t-1}, or the previous period's model trained further
on train_t plus val_{t-1}, kept as it was when that made validation worse
(`classic_family.py`). Each serves its one model, so it works in every protocol and records the
same rows as the LLM strategies.
"""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FINE_TUNE, FULL, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model

CLASSIC_BASELINES = ("mf", "deepmusic", "gru4rec", "caser", "sasrec")
"""The classic baselines of docs/method.md section 5: the keys of
`lsat_core.baselines.registry.BASELINES`, restated because that module imports torch (a test
keeps the two in step)."""
ROLES = {"full_retrain": FULL, "fine_tune": FINE_TUNE}
"""Update strategy name -> the role of the model it trains at each period."""
SUMMARIES = {
    "full_retrain": "{} retrained from scratch on every period so far at each update",
    "fine_tune": "the previous {} model trained further on train_t, kept if validation worsens",
}


class ClassicUpdate(Strategy):
    def __init__(self, baseline: str, update: str) -> None:
        if baseline not in CLASSIC_BASELINES or update not in ROLES:
            raise ValueError(f"no classic strategy {baseline}:{update}")
        self.name = f"{baseline}:{update}"
        self.family = baseline
        self.summary = SUMMARIES[update].format(baseline)
        self.role = ROLES[update]

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, self.role, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        # Warm items follow what the family really trained on (whole periods by default).
        return single_model(t, bench, self.components(t, bench.config)["model"])


CLASSIC_UPDATE_STRATEGIES = tuple(
    ClassicUpdate(baseline, update) for baseline in CLASSIC_BASELINES for update in ROLES
)
