"""Run a whole experiment in this process (the `lsat run` command; workers split the same work)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.families import ProgressSink
from lsat_core.engine.workbench import Workbench
from lsat_core.evaluation.protocols import (
    FIXED_TARGET,
    EvalStep,
    plan_steps,
    summary_eval_periods,
)
from lsat_core.runner.assembly import experiment_stream, open_workbench
from lsat_core.runner.in_process_progress import InProcessProgress
from lsat_core.runner.period_loop import (
    PreparedExperiment,
    StepDone,
    execute_experiment,
    prepare_experiment,
)
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Run, RunStatus
from lsat_core.store.queries import results_frame


def run_experiment(
    config: ExperimentConfig,
    settings: Settings,
    *,
    name: str,
    progress: ProgressSink | None = None,
    on_step: StepDone | None = None,
) -> tuple[Engine, PreparedExperiment]:
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    stream = experiment_stream(config, settings)
    # The first seed's workbench is opened, and its backbone loaded, before anything is stored:
    # a backbone that cannot be loaded stops the run with nothing written.
    first = open_workbench(config.for_seed(config.seed), settings, engine, stream=stream)
    for family in first.families.values():
        family.prepare()
    prepared = prepare_experiment(engine, config, stream, name)
    # Reported to the store as a worker's tasks are, so the run monitor shows this run too; and
    # to `progress` and `on_step` (the terminal's bars).
    reporter = InProcessProgress(
        engine,
        prepared.experiment_id,
        planned_updates(engine, prepared, config, stream.num_periods),
        also=progress,
    )

    def step_done(run_name: str, step: EvalStep) -> None:
        reporter.step_done(run_name, step)
        if on_step is not None:
            on_step(run_name, step)

    def seed_bench(seed: int) -> Workbench:
        bench = open_workbench(config.for_seed(seed), settings, engine, sibling=first)
        bench.experiment_id = prepared.experiment_id
        bench.progress = reporter
        return bench

    first.experiment_id = prepared.experiment_id
    first.progress = reporter
    reporter.start()
    # Every seed's workbench shares the first one's stream and loaded backbone.
    execute_experiment(engine, prepared, first, step_done, seed_bench=seed_bench)
    return engine, prepared


def planned_updates(
    engine: Engine, prepared: PreparedExperiment, config: ExperimentConfig, num_periods: int
) -> int:
    """Updates the run makes: each update period of every run not succeeded before
    (`lsat_core.store.lifecycle.start_runs` does not redo those)."""
    steps = plan_steps(config.protocol, num_periods, config.update_periods)
    with session_scope(engine) as session:
        statuses = [session.get_one(Run, run.run_id).status for run in prepared.runs]
    return sum(status != RunStatus.SUCCEEDED for status in statuses) * len(steps)


def summary(
    engine: Engine, prepared: PreparedExperiment, config: ExperimentConfig
) -> tuple[pd.DataFrame, pd.Series]:
    """The served models' AUC per strategy (and seed, with several) and segment (all, warm,
    cold), one column per tested period (per update period t for fixed-target, whose tested
    period is always D_T), and each row's mean over the protocol's summary periods that were
    run."""
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
    model = frame[frame["role"] == "model"]
    by_update = config.protocol == FIXED_TARGET
    column = "train_period" if by_update else "eval_period"
    several = len(config.seeds) > 1
    index = ["strategy", "seed", "segment"] if several else ["strategy", "segment"]
    table = model.pivot_table(
        index=index, columns=column, values="auc", aggfunc="mean", dropna=False
    )
    order = [
        (s, seed, seg) if several else (s, seg)
        for s in config.strategies
        for seed in config.seeds
        for seg in ("all", "warm", "cold")
    ]
    order = list(dict.fromkeys(row for row in order if row in table.index))
    table = table.reindex(order)
    if by_update:
        return table, table.mean(axis=1)
    wanted = [p for p in summary_eval_periods(config.protocol, config.num_periods) if p in table]
    return table, table[wanted].mean(axis=1) if wanted else table.mean(axis=1)
