"""`lsat run`: one experiment in this process, with progress bars, then its per-period table."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from cli.progress import TaskBars
from lsat_core.errors import ConfigError
from lsat_core.evaluation.protocols import PROTOCOLS, EvalStep
from lsat_core.settings import Settings


def _int_list(text: str | None, where: str) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"expected comma-separated integers, got {text!r}", where=where) from None


def run(
    strategies: Annotated[
        str, typer.Option(help="Comma-separated strategy names.")
    ] = "full_retrain,fine_tune,lsat_en,lsat_ta",
    dataset: Annotated[str, typer.Option(help="Registered dataset name.")] = "ml-1m",
    protocol: Annotated[str, typer.Option(help=f"One of {', '.join(PROTOCOLS)}.")] = "next-period",
    preset: Annotated[str, typer.Option(help="quick (CPU-sized) or paper (full).")] = "quick",
    backbone: Annotated[
        str | None, typer.Option(help="Backbone: smollm2-135m, a model folder or a hub id.")
    ] = None,
    m: Annotated[int | None, typer.Option(help="Period of the long-term LoRA.")] = None,
    update_periods: Annotated[
        str | None, typer.Option(help="Comma-separated update periods t to evaluate.")
    ] = None,
    ta_reading: Annotated[str | None, typer.Option(help="LSAT-TA merge: ab or product.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of sampling and training.")] = 0,
    name: Annotated[str | None, typer.Option(help="Experiment name shown in the store.")] = None,
) -> None:
    """Run a comparison of update strategies in this process and print its AUC table."""
    # Imported here so `lsat --help` stays fast (these pull in torch).
    from lsat_core.engine.in_process import run_experiment, summary
    from lsat_core.engine.presets import preset_config
    from lsat_core.llm.backbone import BackboneConfig
    from lsat_core.llm.training import LoraTrainConfig

    overrides: dict = {"dataset": dataset, "protocol": protocol, "seed": seed}
    if backbone:
        overrides["backbone"] = BackboneConfig(name_or_path=backbone)
    if m is not None:
        overrides["long_term_period"] = m
    if ta_reading:
        overrides["ta_reading"] = ta_reading
    periods = _int_list(update_periods, "update_periods")
    if periods is not None:
        overrides["update_periods"] = periods
    names = tuple(s.strip() for s in strategies.split(",") if s.strip())
    config = preset_config(preset, names, **overrides)
    if config.lora.seed != seed:
        config = dataclasses.replace(config, lora=dataclasses.replace(config.lora, seed=seed))
    assert isinstance(config.lora, LoraTrainConfig)

    settings = Settings.from_env()
    bars = TaskBars()

    def on_step(strategy: str, step: EvalStep) -> None:
        bars.close()
        typer.echo(f"done: {strategy} updated at t={step.train_period}", err=True)

    try:
        engine, prepared = run_experiment(
            config,
            settings,
            name=name or f"{preset} {protocol} {','.join(names)}",
            progress=bars,
            on_step=on_step,
        )
    finally:
        bars.close()
    table, mean = summary(engine, prepared, config)
    typer.echo(f"experiment {prepared.experiment_id} ({settings.database_url})")
    typer.echo("AUC on all items, per tested period:")
    typer.echo(table.round(4).to_string())
    typer.echo("mean over the protocol's summary periods:")
    typer.echo(mean.round(4).to_string())
