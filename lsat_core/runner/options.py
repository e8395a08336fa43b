"""An experiment config from options as a user gives them: a preset, comma-separated names and
periods, and the main knobs. The `lsat run`/`lsat submit` options and the dashboard's launch form
both go through `build_config`, so the same values make the same config (and run keys).

`build_config` also checks the strategy names against the registry, enforces what a submission
may ask for (`WorkLimits`) and checks a backbone path or hub id (`hub_check`), so every entry
point refuses the same input with the same one-line error naming the field (shown in the names
users type by `option_names`). The strategies' own knobs (replay share, merge density, ...) come
in by config field, as the strategies declare them (`lsat_core.strategies.knobs`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.presets import preset_config, preset_strategies
from lsat_core.errors import ConfigError
from lsat_core.evaluation.protocols import plan_steps
from lsat_core.llm.configs import BackboneConfig
from lsat_core.paths import checked_backbone
from lsat_core.runner.hub_check import check_hub_backbone
from lsat_core.runner.option_names import strategies_using, strategy_knobs
from lsat_core.settings import WorkLimits
from lsat_core.strategies.knobs import KnobValue
from lsat_core.strategies.registry import check_strategies

PRESET_TOKEN = "preset"
"""In a strategy list, the preset's default strategies (`--strategies preset,lsat_ta`)."""
DEFAULT_STRATEGIES = PRESET_TOKEN
"""What `lsat run` and `lsat submit` compare unless told: the preset's strategies, the ones the
Launch page's form starts from (`lsat_core.engine.presets.PRESET_STRATEGIES`)."""


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
    seed: int | None = None,
    seeds: str | None = None,
    knob_values: Mapping[str, KnobValue] | None = None,
    limits: WorkLimits | None = None,
    backbone_root: Path | None = None,
    base: ExperimentConfig | None = None,
) -> ExperimentConfig:
    """The ExperimentConfig of a preset with options as a user types them (CLI or form).

    `seed` or `seeds` (comma-separated; the first is `seed`): every strategy runs with each
    seed, the samples drawn once with the first (docs/method.md section 9). `knob_values`: the
    strategies' knobs by config field, as users type them (`with_knob_values`). `limits`: caps on
    the work requested (default: `WorkLimits()`); `backbone_root`: confine a backbone path to this
    folder (the dashboard's data dir; None for the trusted CLI); `base`: a stored config to start
    from instead of the preset's (a cloned experiment: what no option names is kept from it)."""
    if learning_rate is not None and not (math.isfinite(learning_rate) and learning_rate <= 1):
        raise ConfigError(f"must lie in (0, 1], got {learning_rate}", where="learning_rate")
    seed_list = seed_axis(seed, seeds)
    first = seed_list[0]
    overrides: dict[str, Any] = {"dataset": dataset, "protocol": protocol, "seed": first}
    if backbone and backbone.strip():
        name = checked_backbone(backbone, root=backbone_root)
        check_hub_backbone(name)
        overrides["backbone"] = BackboneConfig(name_or_path=name)
    if m is not None:
        overrides["long_term_period"] = m
    if ta_reading:
        overrides["ta_reading"] = ta_reading
    if in_context_positives is not None:
        overrides["in_context_recent_positives"] = in_context_positives
    periods = int_list(update_periods, "update_periods")
    if periods is not None:
        overrides["update_periods"] = periods
    names = strategy_list(strategies, preset)
    check_strategies(names)
    config = (
        preset_config(preset, names, **overrides)
        if base is None
        else _from_base(base, names, overrides)
    )
    given: dict[str, Any] = {"r": rank, "learning_rate": learning_rate, "epochs": epochs}
    lora = {k: v for k, v in (given | {"loss": loss}).items() if v is not None} | {"seed": first}
    sizes: dict[str, Any] = {
        "train_per_period": train_samples,
        "val_per_period": val_samples,
        "test_per_period": test_samples,
    }
    # 0 means the whole part (None in the budget); a size left out keeps the preset's.
    budget: dict[str, Any] = {k: (v or None) for k, v in sizes.items() if v is not None}
    budget["seed"] = first
    config = dataclasses.replace(
        config,
        lora=dataclasses.replace(config.lora, **lora),
        classic=dataclasses.replace(config.classic, seed=first),
        budget=dataclasses.replace(config.budget, **budget),
        seeds=seed_list,
    )
    config = with_knob_values(config, knob_values or {})
    check_limits(config, limits or WorkLimits())
    return config


def with_knob_values(config: ExperimentConfig, values: Mapping[str, KnobValue]) -> ExperimentConfig:
    """`config` with these strategies' knobs set, by config field and as users type them (0 for
    the config's None where the knob says so; a knob left out keeps the config's value).

    A knob that none of the config's strategies reads is refused: it would change nothing, so it
    is most likely a strategy left out of the list or an option given to the wrong run."""
    knobs = strategy_knobs()
    changed: dict[str, dict[str, KnobValue | None]] = {}
    for field, typed in values.items():
        if field not in knobs:
            raise ConfigError("no registered strategy has this setting", where=field)
        users = strategies_using(field)
        if not set(users) & set(config.strategies):
            raise ConfigError(
                f"is read only by {', '.join(users)}, none of which is among the strategies",
                where=field,
            )
        knob = knobs[field]
        changed.setdefault(knob.section, {})[field] = knob.config_value(typed)
    sections = {
        section: dataclasses.replace(getattr(config, section), **fields)
        for section, fields in changed.items()
    }
    return dataclasses.replace(config, **sections)


def strategy_list(strategies: str, preset: str) -> tuple[str, ...]:
    """The names of a comma-separated list, `preset` standing for the preset's strategies."""
    names: list[str] = []
    for name in (s.strip() for s in strategies.split(",")):
        if name == PRESET_TOKEN:
            names.extend(preset_strategies(preset))
        elif name:
            names.append(name)
    return tuple(names)


def _from_base(
    base: ExperimentConfig, names: tuple[str, ...], overrides: dict[str, Any]
) -> ExperimentConfig:
    """`base` with these strategies and overrides (its own stream unless the dataset changes)."""
    if overrides["dataset"] != base.dataset:
        overrides["stream"] = None
    return dataclasses.replace(base, strategies=names, seeds=(), **overrides)


def seed_axis(seed: int | None, seeds: str | None) -> tuple[int, ...]:
    """The seeds of `seed` or `seeds` (a comma-separated list whose first is `seed` if both)."""
    listed = int_list(seeds, "seeds")
    if listed is None:
        return (0 if seed is None else seed,)
    if not listed:
        raise ConfigError(f"expected comma-separated integers, got {seeds!r}", where="seeds")
    if seed is not None and seed != listed[0]:
        raise ConfigError(
            f"seed {seed} is not the first of the seeds {seeds}: give one or the other",
            where="seeds",
        )
    return listed


def check_limits(config: ExperimentConfig, limits: WorkLimits) -> None:
    """ConfigError naming the field when `config` asks for more than `limits` allow."""
    budget = config.budget
    sizes = {
        "train_per_period": budget.train_per_period,
        "val_per_period": budget.val_per_period,
        "test_per_period": budget.test_per_period,
    }
    for name, size in sizes.items():
        _within(name, size, limits.max_samples_per_period, "LSAT_MAX_SAMPLES_PER_PERIOD")
    _within("epochs", config.lora.epochs, limits.max_epochs, "LSAT_MAX_EPOCHS")
    _within("r", config.lora.r, limits.max_lora_rank, "LSAT_MAX_LORA_RANK")
    steps = len(plan_steps(config.protocol, config.num_periods, config.update_periods))
    seeds = len(config.seeds)
    updates = len(config.strategies) * steps * seeds
    if updates > limits.max_updates:
        per_seed = f" x {seeds} seeds" if seeds > 1 else ""
        raise ConfigError(
            f"{len(config.strategies)} strategies x {steps} update periods{per_seed} = "
            f"{updates} updates, "
            f"over the limit of {limits.max_updates} per submission (LSAT_MAX_UPDATES); "
            "split it into several submissions",
            where="strategies",
        )


def _within(name: str, value: int | None, limit: int, variable: str) -> None:
    if value is not None and value > limit:
        raise ConfigError(f"{value:,} is over the limit of {limit:,} ({variable})", where=name)
