"""The names users type for each config field, on the command line and in the launch form.

A `ConfigError` names the config field at fault (`where`: `long_term_period`,
`test_per_period`); `lsat run` and the dashboard show it under the name the user typed instead
(`--m`, "Test samples per period (0 = all)"), from this one table, so the two never drift apart.
The table is `OPTION_NAMES` and the knobs the registered strategies declare
(`lsat_core.strategies.knobs`), read at call time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from lsat_core.errors import InputError
from lsat_core.strategies.knobs import Knob
from lsat_core.strategies.registry import STRATEGIES

Surface = Literal["cli", "form"]


@dataclass(frozen=True)
class OptionName:
    cli: str
    """The `lsat run` / `lsat submit` option."""
    form: str
    """The launch form's field, as labelled."""


_ALL = " (0 = all)"
OPTION_NAMES: dict[str, OptionName] = {
    "strategies": OptionName("--strategies", "Strategies"),
    "dataset": OptionName("--dataset", "Dataset"),
    "protocol": OptionName("--protocol", "Protocol"),
    "preset": OptionName("--preset", "Preset"),
    "backbone": OptionName("--backbone", "Backbone"),
    "name_or_path": OptionName("--backbone", "Backbone"),
    "long_term_period": OptionName("--m", "m (long-term period)"),
    "update_periods": OptionName("--update-periods", "Update periods"),
    "ta_reading": OptionName("--ta-reading", "LSAT-TA reading"),
    "r": OptionName("--rank", "LoRA rank"),
    "learning_rate": OptionName("--learning-rate", "Learning rate"),
    "epochs": OptionName("--epochs", "Epochs"),
    "loss": OptionName("--loss", "LoRA loss"),
    "train_per_period": OptionName("--train-samples" + _ALL, "Train samples per period" + _ALL),
    "val_per_period": OptionName("--val-samples" + _ALL, "Validation samples per period" + _ALL),
    "test_per_period": OptionName("--test-samples" + _ALL, "Test samples per period" + _ALL),
    "in_context_recent_positives": OptionName("--in-context-positives", "In-context positives"),
    "seed": OptionName("--seed", "Seeds"),
    "seeds": OptionName("--seeds", "Seeds"),
}


def strategy_knobs() -> dict[str, Knob]:
    """The knobs of the registered strategies by config field, in registry order."""
    return {knob.field: knob for strategy in STRATEGIES.values() for knob in strategy.knobs}


def knobs_of(strategies: Iterable[str]) -> dict[str, Knob]:
    """The knobs these strategies read, by config field, in registry order (names that are not
    registered have none)."""
    chosen = set(strategies)
    return {
        knob.field: knob
        for name, strategy in STRATEGIES.items()
        if name in chosen
        for knob in strategy.knobs
    }


def strategies_using(field: str) -> tuple[str, ...]:
    """The registered strategies that read knob `field`."""
    return tuple(
        name
        for name, strategy in STRATEGIES.items()
        if any(knob.field == field for knob in strategy.knobs)
    )


def knob_names(knob: Knob) -> OptionName:
    """A knob's option and form field; where 0 stands for the config's None, they say so."""
    zero = "" if knob.zero_means is None else f" (0 = {knob.zero_means})"
    return OptionName(knob.option + zero, knob.label + zero)


def option_names() -> dict[str, OptionName]:
    """The whole table: `OPTION_NAMES` and the registered strategies' knobs."""
    knobs = {field: knob_names(knob) for field, knob in strategy_knobs().items()}
    return OPTION_NAMES | knobs


def user_name(where: str, surface: Surface) -> str:
    """The name of config field `where` on `surface` (`where` itself if it has none there)."""
    names = option_names().get(where)
    return where if names is None else getattr(names, surface)


def in_user_terms(error: InputError, surface: Surface) -> InputError:
    """`error` with its `where` in the names users type on `surface` (same class, same text)."""
    if error.where is None or error.where not in option_names():
        return error
    message = str(error).removeprefix(f"{error.where}: ")
    return type(error)(message, where=user_name(error.where, surface))
