"""Named starting points for an experiment config, with the strategies each compares by default.
Every value a preset sets ends up in the stored config, so a result never depends on what a
preset meant at the time.

- paper: the full protocol of docs/method.md section 4 with the reference settings (all samples,
  every period, m = 10, micro-batch 32 x 4, patience 10 / 5, two epochs at most), comparing the
  paper's four strategies.
- quick: what a first run on a 2-core CPU can say in at most 20 minutes (README, Presets). Sized
  for statistics, not only time: one update period, t = 2 with m = 1 (the first at which the
  strategies train on different data; next-period: tested on D_3, fixed-target: on D_T; the
  cold-warm and held-out-items protocols keep their single step), tested on 448 samples (above
  the 200 under which the findings read no paired test: `findings.Thresholds`), each
  model's 64 train and 64 validation samples (one epoch in batches of 8, validated every 4
  steps): 8 steps a LoRA, so the long- and short-term LoRAs differ. At 32 samples in batches of
  16 (2 steps) they scored alike and LSAT-EN's alpha curve was flat on 32 and on 64 validation
  samples (0.645-0.648); at these sizes it moved 0.628-0.639 (README, Presets).
  Its strategies: the two floors and MF and GRU4Rec, both updated by full retraining and by
  fine-tuning on whole periods (cheap), so finding 1's classic tests run; and the LLM's full
  retraining, fine-tuning, long- and short-term LoRAs and LSAT-EN, which share four LoRAs and
  their scores, so findings 1 and 3 have every test they need. LSAT-TA is left out: its lambda
  search scores 11 merged adapters on val_t, which would cost more than the tests themselves;
  it is one `--strategies quick,lsat_ta` away. What 448 samples resolve is
  `lsat_core.evaluation.resolution`'s (about +-0.048 for one AUC, +-0.026 for a paired
  difference), stated on the Launch page.
"""

from __future__ import annotations

from typing import Any

from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.errors import ConfigError
from lsat_core.evaluation.protocols import SINGLE_STEP_PROTOCOLS
from lsat_core.llm.configs import LoraTrainConfig

PRESETS = ("quick", "paper")
PRESET_STRATEGIES: dict[str, tuple[str, ...]] = {
    "quick": (
        "popularity",
        "logreg",
        "mf:full_retrain",
        "mf:fine_tune",
        "gru4rec:full_retrain",
        "gru4rec:fine_tune",
        "full_retrain",
        "fine_tune",
        "long_term",
        "short_term",
        "lsat_en",
    ),
    "paper": ("full_retrain", "fine_tune", "lsat_en", "lsat_ta"),
}
"""The strategies a preset compares unless others are chosen (the CLI, `make up`'s form)."""
QUICK_BUDGET = SampleBudget(train_per_period=64, val_per_period=64, test_per_period=448)
QUICK_LORA = LoraTrainConfig(
    micro_batch_size=8, accumulation_steps=1, epochs=1, eval_every=4, eval_batch_size=16
)


def check_preset(name: str) -> None:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose {' or '.join(PRESETS)}", where="preset")


def preset_strategies(name: str) -> tuple[str, ...]:
    """The strategies preset `name` compares by default."""
    check_preset(name)
    return PRESET_STRATEGIES[name]


def preset_config(name: str, strategies: tuple[str, ...], **overrides: Any) -> ExperimentConfig:
    """The config of preset `name` for these strategies, with any field overridden."""
    check_preset(name)
    if name == "paper":
        return ExperimentConfig(strategies=strategies, preset="paper", **overrides)
    m = overrides.pop("long_term_period", 1)
    protocol = overrides.get("protocol", "next-period")
    defaults: dict[str, Any] = {
        "long_term_period": m,
        "update_periods": None if protocol in SINGLE_STEP_PROTOCOLS else (m + 1,),
        "budget": QUICK_BUDGET,
        "lora": QUICK_LORA,
        "preset": "quick",
    }
    return ExperimentConfig(strategies=strategies, **{**defaults, **overrides})
