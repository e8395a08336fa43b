"""Named starting points for an experiment config. Every value a preset sets ends up in the
stored config, so a result never depends on what a preset meant at the time.

- paper: the full protocol of docs/method.md section 4 with the reference settings (all samples,
  every period, m = 10, micro-batch 32 x 4, patience 10 / 5, two epochs at most).
- quick: sized for a 2-core CPU, where SmolLM2-135M scores about one real prompt a second and
  trains on about 0.4: a fixed random subset of each period (32 train, 16 validation, 48 test
  samples), one epoch in batches of 8 x 2 validated every 2 steps, m = 1 and the update periods
  t = 1, 2 (next-period: tested on D_2, D_3; fixed-target: tested on D_T). The cold-warm and
  held-out-items protocols keep their single step (t = 3/4 of the stream). Quick AUCs rest on
  48 samples per period: they show the pipeline at work, not the paper's differences; read them
  with their intervals.
"""

from __future__ import annotations

from typing import Any

from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.errors import ConfigError
from lsat_core.evaluation.protocols import SINGLE_STEP_PROTOCOLS
from lsat_core.llm.configs import LoraTrainConfig

PRESETS = ("quick", "paper")


def preset_config(name: str, strategies: tuple[str, ...], **overrides: Any) -> ExperimentConfig:
    """The config of preset `name` for these strategies, with any field overridden."""
    if name == "paper":
        return ExperimentConfig(strategies=strategies, preset="paper", **overrides)
    if name != "quick":
        raise ConfigError(f"unknown preset {name!r}; choose {' or '.join(PRESETS)}", where="preset")
    m = overrides.pop("long_term_period", 1)
    protocol = overrides.get("protocol", "next-period")
    defaults: dict[str, Any] = {
        "long_term_period": m,
        "update_periods": None if protocol in SINGLE_STEP_PROTOCOLS else (m, m + 1),
        "budget": SampleBudget(train_per_period=32, val_per_period=16, test_per_period=48),
        "lora": LoraTrainConfig(
            micro_batch_size=8, accumulation_steps=2, epochs=1, eval_every=2, eval_batch_size=16
        ),
        "preset": "quick",
    }
    return ExperimentConfig(strategies=strategies, **{**defaults, **overrides})
