"""The names users type for each config field, on the command line and in the launch form.

A `ConfigError` names the config field at fault (`where`: `long_term_period`,
`test_per_period`); `lsat run` and the dashboard show it under the name the user typed instead
(`--m`, "Test samples per period (0 = all)"), from this one table, so the two never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lsat_core.errors import InputError

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


def user_name(where: str, surface: Surface) -> str:
    """The name of config field `where` on `surface` (`where` itself if it has none there)."""
    names = OPTION_NAMES.get(where)
    return where if names is None else getattr(names, surface)


def in_user_terms(error: InputError, surface: Surface) -> InputError:
    """`error` with its `where` in the names users type on `surface` (same class, same text)."""
    if error.where is None or error.where not in OPTION_NAMES:
        return error
    message = str(error).removeprefix(f"{error.where}: ")
    return type(error)(message, where=user_name(error.where, surface))
