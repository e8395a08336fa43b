"""An experiment config from options as a user gives them: a preset, comma-separated names and
periods, and the main knobs. The `lsat run`/`lsat submit` options and the dashboard's launch form
both go through `build_config`, so the same values make the same config (and run keys)."""

from __future__ import annotations

import dataclasses
from typing import Any

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.presets import preset_config
from lsat_core.errors import ConfigError
from lsat_core.llm.configs import BackboneConfig

DEFAULT_STRATEGIES = "full_retrain,fine_tune,lsat_en,lsat_ta"


def int_list(text: str | None, where: str) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"expected comma-separated integers, got {text!r}", where=where) from None


def build_config(
    *,
    strategies: str,
    dataset: str,
    protocol: str,
    preset: str,
    backbone: str | None = None,
    m: int | None = None,
    update_periods: str | None = None,
    ta_reading: str | None = None,
    rank: int | None = None,
    learning_rate: float | None = None,
    epochs: int | None = None,
    loss: str | None = None,
    train_samples: int | None = None,
    val_samples: int | None = None,
    test_samples: int | None = None,
    in_context_positives: int | None = None,
    seed: int = 0,
) -> ExperimentConfig:
    """The ExperimentConfig of a preset with options as a user types them (CLI or form)."""
    overrides: dict[str, Any] = {"dataset": dataset, "protocol": protocol, "seed": seed}
    if backbone:
        overrides["backbone"] = BackboneConfig(name_or_path=backbone)
    if m is not None:
        overrides["long_term_period"] = m
    if ta_reading:
        overrides["ta_reading"] = ta_reading
    if in_context_positives is not None:
        overrides["in_context_recent_positives"] = in_context_positives
    periods = int_list(update_periods, "update_periods")
    if periods is not None:
        overrides["update_periods"] = periods
    names = tuple(s.strip() for s in strategies.split(",") if s.strip())
    config = preset_config(preset, names, **overrides)
    given: dict[str, Any] = {"r": rank, "learning_rate": learning_rate, "epochs": epochs}
    lora = {k: v for k, v in (given | {"loss": loss}).items() if v is not None} | {"seed": seed}
    sizes: dict[str, Any] = {
        "train_per_period": train_samples,
        "val_per_period": val_samples,
        "test_per_period": test_samples,
    }
    # 0 means the whole part (None in the budget); a size left out keeps the preset's.
    budget: dict[str, Any] = {k: (v or None) for k, v in sizes.items() if v is not None}
    budget["seed"] = seed
    return dataclasses.replace(
        config,
        lora=dataclasses.replace(config.lora, **lora),
        budget=dataclasses.replace(config.budget, **budget),
    )
