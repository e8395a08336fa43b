"""Long-term LoRA (m): trained like full retraining at period m (D_1..D_m), then frozen, or
refreshed every k periods (docs/method.md section 3).

Before m there is no long-term LoRA yet; we serve full retraining at t, which is what the
long-term LoRA would be if m were t (the paper evaluates only t >= m).
"""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FULL, LORA, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model


def long_term_spec(t: int, config: ExperimentConfig, every: int | None = None) -> ModelSpec:
    """The long-term LoRA serving at period t, refreshed every `every` periods after m (None:
    the experiment's `long_term_refresh`)."""
    m, k = config.long_term_period, every or config.long_term_refresh
    if t < m:
        return ModelSpec(LORA, FULL, t)
    latest = m + ((t - m) // k) * k if k else m
    return ModelSpec(LORA, FULL, latest)


class LongTerm(Strategy):
    name = "long_term"
    family = LORA
    summary = "full retraining at period m, then frozen (or refreshed every k periods)"

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": long_term_spec(t, config)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return single_model(t, bench, long_term_spec(t, bench.config))
