"""`lsat run`: one experiment in this process, with progress bars, then its per-period table, or
with `--json` the experiment's report (`lsat report --json`'s) for scripts and notebooks."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli import experiment_options as opt
from cli.progress import TaskBars
from cli.report_command import report_json, report_of
from lsat_core.evaluation.protocols import EvalStep
from lsat_core.runner.options import DEFAULT_STRATEGIES
from lsat_core.settings import Settings, redact_url


@opt.with_knob_options
def run(
    strategies: opt.Strategies = DEFAULT_STRATEGIES,
    dataset: opt.Dataset = "ml-1m",
    protocol: opt.Protocol = "next-period",
    preset: opt.Preset = "quick",
    backbone: opt.Backbone = None,
    m: opt.M = None,
    update_periods: opt.UpdatePeriods = None,
    ta_reading: opt.TaReading = None,
    rank: opt.Rank = None,
    learning_rate: opt.LearningRate = None,
    epochs: opt.Epochs = None,
    loss: opt.Loss = None,
    train_samples: opt.Samples = None,
    val_samples: opt.Samples = None,
    test_samples: opt.Samples = None,
    in_context_positives: opt.InContextPositives = None,
    seed: opt.Seed = None,
    seeds: opt.Seeds = None,
    knob_values: opt.KnobValues = None,
    name: str | None = typer.Option(None, help="Experiment name shown in the store."),
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the finished experiment's report as JSON (as `lsat report --json`), "
            "its id included, instead of the AUC table.",
        ),
    ] = False,
) -> None:
    """Run a comparison of update strategies in this process and print its AUC table.

    The Strategy knobs options set the settings of the strategies that read them (each says
    which); one that no compared strategy reads is refused."""
    from lsat_core.runner.in_process import run_experiment, summary

    settings = Settings.from_env()
    config = opt.config_from_options(locals(), settings.limits)
    bars = TaskBars()

    def on_step(run_name: str, step: EvalStep) -> None:
        bars.close()
        typer.echo(f"done: {run_name} updated at t={step.train_period}", err=True)

    try:
        engine, prepared = run_experiment(
            config,
            settings,
            name=name or f"{preset} {protocol} {strategies}",
            progress=bars,
            on_step=on_step,
        )
    finally:
        bars.close()
    if as_json:
        compared, computed = report_of(engine, [prepared.experiment_id])
        typer.echo(json.dumps(report_json(compared, computed), indent=2))
        return
    table, mean = summary(engine, prepared, config)
    typer.echo(f"experiment {prepared.experiment_id} ({redact_url(settings.database_url)})")
    columns = "update period t (tested on D_T)" if protocol == "fixed-target" else "tested period"
    typer.echo(f"AUC per strategy and item segment, by {columns}:")
    typer.echo(table.round(4).to_string())
    typer.echo("mean over the protocol's summary columns:")
    typer.echo(mean.round(4).to_string())
