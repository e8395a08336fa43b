"""The experiment options shared by `lsat run` and `lsat submit`, and the config they build."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Annotated, Any

import typer

from lsat_core.errors import ConfigError
from lsat_core.evaluation.protocols import PROTOCOLS

Strategies = Annotated[str, typer.Option(help="Comma-separated strategy names.")]
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

DEFAULT_STRATEGIES = "full_retrain,fine_tune,lsat_en,lsat_ta"


def int_list(text: str | None, where: str) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"expected comma-separated integers, got {text!r}", where=where) from None


def options_of(values: dict[str, Any]) -> dict[str, Any]:
    """The experiment options among a command's arguments (pass it `locals()`)."""
    names = inspect.signature(build_config).parameters
    return {name: value for name, value in values.items() if name in names}


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
) -> Any:
    """The ExperimentConfig of a preset with the options given on the command line."""
    # Imported here so `lsat --help` stays fast (the engine pulls in torch).
    from lsat_core.engine.presets import preset_config
    from lsat_core.llm.configs import BackboneConfig

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
    lora = {"r": rank, "learning_rate": learning_rate, "epochs": epochs, "loss": loss}
    lora = {k: v for k, v in lora.items() if v is not None} | {"seed": seed}
    budget = {
        "train_per_period": train_samples,
        "val_per_period": val_samples,
        "test_per_period": test_samples,
    }
    budget = {k: (v or None) for k, v in budget.items() if v is not None} | {"seed": seed}
    return dataclasses.replace(
        config,
        lora=dataclasses.replace(config.lora, **lora),
        budget=dataclasses.replace(config.budget, **budget),
    )
