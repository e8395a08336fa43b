"""Run a whole experiment in this process (the `lsat run` command; workers split the same work)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from lsat_core.engine.assembly import experiment_stream, open_workbench
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.families import Progress
from lsat_core.engine.period_loop import (
    PreparedExperiment,
    StepDone,
    execute_experiment,
    prepare_experiment,
)
from lsat_core.evaluation.protocols import summary_eval_periods
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.queries import results_frame


def run_experiment(
    config: ExperimentConfig,
    settings: Settings,
    *,
    name: str,
    progress: Progress | None = None,
    on_step: StepDone | None = None,
) -> tuple[Engine, PreparedExperiment]:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    stream = experiment_stream(config, settings)
    bench = open_workbench(config, settings, engine, stream=stream)
    for family in bench.families.values():
        family.prepare()
    prepared = prepare_experiment(engine, config, stream, name)
    if progress is not None:
        bench.progress = progress
    execute_experiment(engine, prepared, bench, on_step)
    return engine, prepared


def summary(
    engine: Engine, prepared: PreparedExperiment, config: ExperimentConfig
) -> tuple[pd.DataFrame, pd.Series]:
    """AUC of each strategy's served model on all items per tested period (a strategy x period
    table), and its mean over the protocol's summary periods that were run."""
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
    model = frame[(frame["role"] == "model") & (frame["segment"] == "all")]
    table = model.pivot_table(index="strategy", columns="eval_period", values="auc", aggfunc="mean")
    table = table.reindex([s for s in config.strategies if s in table.index])
    wanted = [p for p in summary_eval_periods(config.protocol, config.num_periods) if p in table]
    return table, table[wanted].mean(axis=1) if wanted else table.mean(axis=1)
