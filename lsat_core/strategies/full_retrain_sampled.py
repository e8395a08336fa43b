"""Sampled full retraining: at period t, a fresh model on `updates.sampled_budget` samples
(default: as many as train_t holds) drawn from full retraining's data train_1..train_t plus
val_1..val_{t-1}, uniformly or weighted toward recent periods (`updates.sampled_weighting`),
validated on val_t (docs/method.md section 3). Its cost stays flat as t grows where full
retraining's grows with t; DEALRec (SIGIR 2024) motivates it: a small subset of the history
can carry most of its value. `full_retrain_sampled` trains a LoRA,
`<model>:full_retrain_sampled` a classic baseline. A budget of at least everything is full
retraining, and shares its models."""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, SAMPLED, ModelSpec
from lsat_core.engine.update_settings import WEIGHTINGS
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model
from lsat_core.strategies.classic import CLASSIC_BASELINES
from lsat_core.strategies.knobs import Knob

_SAMPLED = "full_retrain_sampled and <model>:full_retrain_sampled"
SAMPLED_KNOBS = (
    Knob(
        "updates",
        "sampled_budget",
        "--sampled-budget",
        "Sampled budget",
        f"{_SAMPLED}: samples drawn from train_1..train_t plus val_1..val_{{t-1}} to train the "
        "fresh model on; 0 is as many as train_t holds (one period's worth, so the cost stays "
        "flat in t), else at least 8 (docs/method.md section 3, Sampled full retraining).",
        kind=int,
        zero_means="one period",
        step=8,
    ),
    Knob(
        "updates",
        "sampled_weighting",
        "--sampled-weighting",
        "Sampled weighting",
        f"{_SAMPLED}: uniform draws every earlier sample alike; recency draws a sample of period "
        "p with weight 2^(-(t - p) / half-life) (docs/method.md section 3, Sampled full "
        "retraining).",
        kind=str,
        choices=WEIGHTINGS,
    ),
    Knob(
        "updates",
        "sampled_half_life",
        "--sampled-half-life",
        "Recency half-life (periods)",
        f"{_SAMPLED} with recency weighting: periods over which a sample's weight halves; "
        "above 0 (docs/method.md section 3, Sampled full retraining).",
        step=0.5,
    ),
)


class SampledRetrain(Strategy):
    knobs = SAMPLED_KNOBS

    def __init__(self, family: str = LORA) -> None:
        self.family = family
        base = "full_retrain_sampled"
        self.name = base if family == LORA else f"{family}:{base}"
        model = "LoRA" if family == LORA else f"{family} model"
        self.summary = f"a fresh {model} on a budgeted sample of every period so far"

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, SAMPLED, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return single_model(t, bench, self.components(t, bench.config)["model"])


CLASSIC_SAMPLED_STRATEGIES = tuple(SampledRetrain(baseline) for baseline in CLASSIC_BASELINES)
