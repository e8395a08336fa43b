"""The experiment options shared by `lsat run` and `lsat submit`, and the config they build.

Besides the options named here, each command has one option per knob the registered strategies
declare (`with_knob_options`), under the name of `lsat_core.runner.option_names`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer.models import OptionInfo

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.errors import InputError
from lsat_core.evaluation.protocols import PROTOCOLS
from lsat_core.llm.gguf_backbones import GGUF_BACKBONES
from lsat_core.runner.option_names import in_user_terms, strategy_knobs
from lsat_core.runner.options import build_config
from lsat_core.settings import WorkLimits
from lsat_core.strategies.knobs import Knob, KnobValue
from lsat_core.strategies.registry import strategy_names


class _RegistryStrategiesOption(OptionInfo):
    """An option whose help names the registered strategies when the command is built, at every
    `lsat` call: a strategy registered after this module was imported is named too."""

    @property  # type: ignore[override]
    def help(self) -> str:
        return (
            f"Comma-separated strategy names of {', '.join(strategy_names())} "
            "(`lsat strategies` says what each does); `preset` stands for the preset's own "
            "strategies, e.g. `preset,lsat_ta`."
        )

    @help.setter
    def help(self, _: object) -> None:
        """OptionInfo's constructor sets a help text; this option's is the property's."""


def _strategies_option() -> OptionInfo:
    option = _RegistryStrategiesOption.__new__(_RegistryStrategiesOption)
    option.__dict__.update(vars(typer.Option()))  # typer.Option's defaults, this help
    return option


Strategies = Annotated[str, _strategies_option()]
Dataset = Annotated[str, typer.Option(help="Registered dataset name.")]
Protocol = Annotated[str, typer.Option(help=f"One of {', '.join(PROTOCOLS)}.")]
Preset = Annotated[str, typer.Option(help="quick (CPU-sized) or paper (the full protocol).")]
Backbone = Annotated[
    str | None,
    typer.Option(
        help=f"Backbone: {' or '.join(GGUF_BACKBONES)} (offline; the first is the default), "
        "a model folder or a hub id."
    ),
]
M = Annotated[int | None, typer.Option("--m", help="Period m of the long-term LoRA.")]
UpdatePeriods = Annotated[
    str | None, typer.Option(help="Comma-separated update periods t to evaluate (default: all).")
]
TaReading = Annotated[str | None, typer.Option(help="LSAT-TA merge reading: ab or product.")]
Rank = Annotated[int | None, typer.Option(help="LoRA rank r.")]
LearningRate = Annotated[float | None, typer.Option(help="LoRA learning rate.")]
Epochs = Annotated[int | None, typer.Option(help="LoRA epochs at most.")]
Loss = Annotated[str | None, typer.Option(help="LoRA loss: whole (reference) or answer.")]
Samples = Annotated[int | None, typer.Option(help="Samples per period (0: all).")]
Seed = Annotated[int | None, typer.Option(help="Seed of sampling and training (default 0).")]
Seeds = Annotated[
    str | None,
    typer.Option(
        help="Comma-separated seeds: every strategy runs once per seed, all on the samples "
        "drawn with the first (which is --seed if both are given)."
    ),
]
InContextPositives = Annotated[
    int | None,
    typer.Option(help="in_context: the user's latest liked items of the stream added to a prompt."),
]


KnobValues = dict[str, KnobValue] | None
"""A command's `knob_values` parameter: the knob options given, by config field (filled by
`with_knob_options`, not an option itself)."""
KNOB_VALUES = "knob_values"


class with_knob_options:
    """A command with one option per knob of the registered strategies, read each time Typer
    builds the command (at every `lsat` call, as the strategies' help): a strategy registered
    after this module was imported brings its knobs too. The knob options given reach the
    command as its `knob_values` (by config field; an option left out is not in it)."""

    def __init__(self, command: Callable[..., None]) -> None:
        functools.update_wrapper(self, command)
        self._command = command

    @property
    def __signature__(self) -> inspect.Signature:
        own = inspect.signature(self._command, eval_str=True)
        options = [
            inspect.Parameter(
                field, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_knob_option(knob)
            )
            for field, knob in strategy_knobs().items()
        ]
        kept = [p for p in own.parameters.values() if p.name != KNOB_VALUES]
        return own.replace(parameters=[*kept, *options])

    def __call__(self, **values: Any) -> None:
        knobs = strategy_knobs()
        given = {field: values.pop(field) for field in list(values) if field in knobs}
        chosen = {field: value for field, value in given.items() if value is not None}
        self._command(**values, **{KNOB_VALUES: chosen})


KNOBS_PANEL = "Strategy knobs"


def _knob_option(knob: Knob) -> Any:
    """The option of a knob: its help, then its default as users type it (a knob with a word
    for the config's None takes text: the word or a number)."""
    value = knob.default
    default = f"{value:g}" if isinstance(value, float) else str(value)
    if value == 0 and knob.zero_means is not None:
        default += f" ({knob.zero_means})"
    worded = knob.none_word is not None
    option = typer.Option(
        knob.option,
        metavar=f"<{knob.none_word}|{knob.kind.__name__}>" if worded else None,
        help=f"{knob.help} Default: {default}.",
        show_default=False,
        rich_help_panel=KNOBS_PANEL,
    )
    return Annotated[knob.typed_kind | None, option]


def options_of(values: dict[str, Any]) -> dict[str, Any]:
    """The experiment options among a command's arguments (pass it `locals()`)."""
    names = inspect.signature(build_config).parameters
    return {name: value for name, value in values.items() if name in names}


def config_from_options(values: dict[str, Any], limits: WorkLimits) -> ExperimentConfig:
    """The config of a command's arguments (`locals()`); a bad value's error names the option
    the user typed (`--m`, not `long_term_period`)."""
    try:
        return build_config(**options_of(values), limits=limits)
    except InputError as exc:
        raise in_user_terms(exc, "cli") from None
