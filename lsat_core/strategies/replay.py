"""Replay (experience replay): fine-tuning whose training data at t adds a uniform sample of the
earlier periods' training data to train_t plus val_{t-1}, as many samples as those hold times
`updates.replay_ratio` (1:1 by default), validated on val_t, kept as it was when that made
validation worse (docs/method.md section 3). `replay` continues the LoRA; `<model>:replay` a
classic baseline (`mf:replay`, `sasrec:replay`, ...). With a ratio of 0 it trains exactly what
fine-tuning trains, and shares its models."""

from __future__ import annotations

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, REPLAY, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model
from lsat_core.strategies.classic import CLASSIC_BASELINES
from lsat_core.strategies.knobs import Knob

REPLAY_SHARE = Knob(
    "updates",
    "replay_ratio",
    "--replay-share",
    "Replay share",
    "replay and <model>:replay: earlier training samples replayed per sample of the period's own "
    "data (train_t plus val_{t-1}), drawn uniformly from the earlier periods; 1 is 1:1, 0 is "
    "plain fine-tuning; at least 0 (docs/method.md section 3, Replay).",
)


class Replay(Strategy):
    knobs = (REPLAY_SHARE,)

    def __init__(self, family: str = LORA) -> None:
        self.family = family
        self.name = "replay" if family == LORA else f"{family}:replay"
        model = "LoRA" if family == LORA else family
        self.summary = (
            f"the previous {model} trained further on train_t plus as many replayed earlier "
            "samples, kept if validation worsens"
        )

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(self.family, REPLAY, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return single_model(t, bench, self.components(t, bench.config)["model"])


CLASSIC_REPLAY_STRATEGIES = tuple(Replay(baseline) for baseline in CLASSIC_BASELINES)
