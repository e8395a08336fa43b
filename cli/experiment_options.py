"""The experiment options shared by `lsat run` and `lsat submit`, and the config they build."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import typer

from lsat_core.evaluation.protocols import PROTOCOLS
from lsat_core.runner.options import build_config
from lsat_core.strategies.registry import STRATEGIES

Strategies = Annotated[
    str,
    typer.Option(
        help=f"Comma-separated strategy names of {', '.join(STRATEGIES)} "
        "(`lsat strategies` says what each does)."
    ),
]
Dataset = Annotated[str, typer.Option(help="Registered dataset name.")]
Protocol = Annotated[str, typer.Option(help=f"One of {', '.join(PROTOCOLS)}.")]
Preset = Annotated[str, typer.Option(help="quick (CPU-sized) or paper (the full protocol).")]
Backbone = Annotated[
    str | None, typer.Option(help="Backbone: smollm2-135m (default), a model folder or a hub id.")
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
Seed = Annotated[int, typer.Option(help="Seed of sampling and training.")]
InContextPositives = Annotated[
    int | None,
    typer.Option(help="in_context: the user's latest liked items of the stream added to a prompt."),
]


def options_of(values: dict[str, Any]) -> dict[str, Any]:
    """The experiment options among a command's arguments (pass it `locals()`)."""
    names = inspect.signature(build_config).parameters
    return {name: value for name, value in values.items() if name in names}
