"""What the Launch page's form holds and the experiment config it makes.

The config is built by the very function `lsat run` and `lsat submit` use
(`lsat_core.runner.options.build_config`), so a form and a command line with the same values queue
the same experiment, and every value is checked by `ExperimentConfig` (a `ConfigError` whose
`where` names the field at fault, shown under the form's label by
`lsat_core.runner.option_names`). The form is reached over the network: its backbone path must
lie inside the data dir, and the work it asks for within the deployment's `WorkLimits`.

A past experiment's stored config fills the form (`cloned_form`): the fields it shows are
editable, and the settings it does not show are kept from that config. The knobs of the chosen
strategies (`lsat_core.strategies.knobs`: replay share, merge density, ...) are fields too,
shown while a strategy that reads them is chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.presets import preset_config
from lsat_core.errors import InputError
from lsat_core.runner.option_names import in_user_terms, knobs_of
from lsat_core.runner.options import build_config
from lsat_core.settings import WorkLimits
from lsat_core.strategies.knobs import KnobValue
from lsat_core.strategies.registry import strategy_names


@dataclass(frozen=True)
class Knobs:
    """The main settings a preset fills in, as the form shows them (0 samples: the whole part)."""

    m: int
    rank: int
    learning_rate: float
    epochs: int
    train_samples: int
    val_samples: int
    test_samples: int


@dataclass(frozen=True)
class LaunchForm:
    dataset: str
    protocol: str
    preset: str
    strategies: tuple[str, ...]
    backbone: str
    knobs: Knobs
    update_periods: str
    """Comma-separated update periods t; empty: the preset's."""
    seeds: str = "0"
    """Comma-separated seeds: every strategy runs once per seed (docs/method.md section 9)."""
    knob_values: Mapping[str, KnobValue] = field(default_factory=dict)
    """The chosen strategies' knobs shown, by config field, as typed; one left out keeps the
    base's (or the preset's) value."""
    base: ExperimentConfig | None = None
    """The past experiment's config the form was filled from (None: the preset's)."""


def preset_defaults(preset: str, dataset: str, protocol: str) -> tuple[Knobs, ExperimentConfig]:
    """The knobs of `preset` for this dataset and protocol, with the config they come from."""
    config = preset_config(preset, strategy_names()[:1], dataset=dataset, protocol=protocol)
    knobs = Knobs(
        m=config.long_term_period,
        rank=config.lora.r,
        learning_rate=config.lora.learning_rate,
        epochs=config.lora.epochs,
        train_samples=config.budget.train_per_period or 0,
        val_samples=config.budget.val_per_period or 0,
        test_samples=config.budget.test_per_period or 0,
    )
    return knobs, config


def cloned_form(config: ExperimentConfig) -> LaunchForm:
    """The form filled from a stored experiment config, with that config as its base."""
    budget = config.budget
    knobs = Knobs(
        m=config.long_term_period,
        rank=config.lora.r,
        learning_rate=config.lora.learning_rate,
        epochs=config.lora.epochs,
        train_samples=budget.train_per_period or 0,
        val_samples=budget.val_per_period or 0,
        test_samples=budget.test_per_period or 0,
    )
    periods = config.update_periods
    return LaunchForm(
        dataset=config.dataset,
        protocol=config.protocol,
        preset=config.preset,
        strategies=config.strategies,
        backbone=config.backbone.name_or_path,
        knobs=knobs,
        update_periods="" if periods is None else ",".join(map(str, periods)),
        seeds=",".join(map(str, config.seeds)),
        knob_values={name: k.typed(config) for name, k in knobs_of(config.strategies).items()},
        base=config,
    )


def experiment_config(form: LaunchForm, data_dir: Path, limits: WorkLimits) -> ExperimentConfig:
    """The validated config of the form; raises InputError naming the field at fault under the
    form's label."""
    try:
        return _build(form, data_dir, limits)
    except InputError as exc:
        raise in_user_terms(exc, "form") from None


def _build(form: LaunchForm, data_dir: Path, limits: WorkLimits) -> ExperimentConfig:
    knobs = form.knobs
    return build_config(
        strategies=",".join(form.strategies),
        dataset=form.dataset,
        protocol=form.protocol,
        preset=form.preset,
        backbone=form.backbone.strip() or None,
        m=knobs.m,
        update_periods=form.update_periods,
        rank=knobs.rank,
        learning_rate=knobs.learning_rate,
        epochs=knobs.epochs,
        train_samples=knobs.train_samples,
        val_samples=knobs.val_samples,
        test_samples=knobs.test_samples,
        seeds=form.seeds,
        knob_values=form.knob_values,
        limits=limits,
        backbone_root=data_dir,
        base=form.base,
    )


def default_name(form: LaunchForm) -> str:
    """The name `lsat submit` gives an experiment."""
    return f"{form.preset} {form.protocol} {','.join(form.strategies)}"
