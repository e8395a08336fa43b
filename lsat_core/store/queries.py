"""Read side for the dashboard and the CLI: experiments, runs, results as a DataFrame, activity.

Objects returned stay readable after their session closes (`make_session_factory` does not
expire on commit), so a page can query in a short `session_scope` and render afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from lsat_core.errors import InputError
from lsat_core.store.models import (
    Event,
    Experiment,
    ExperimentRun,
    PeriodResult,
    Run,
    StreamRecord,
    TaskProgress,
)
from lsat_core.store.predictions import predictions_frame

RESULT_COLUMNS = (
    "run_id",
    "run_key",
    "run_name",
    "strategy",
    "backbone",
    "protocol",
    "seed",
    "train_period",
    "eval_period",
    "role",
    "segment",
    "auc",
    "n",
    "positives",
    "ci_low",
    "ci_high",
    "uauc",
    "uauc_users",
    "coefficient",
    "coefficient_curve",
    "samples_trained",
    "tokens_trained",
    "train_seconds",
    "eval_seconds",
    "update_latency_seconds",
    "device",
    "updated_at",
)
"""Columns of `results_frame`: the run's identity, then every field of its period result."""
_FLOAT_COLUMNS = (
    "auc",
    "ci_low",
    "ci_high",
    "uauc",
    "coefficient",
    "train_seconds",
    "eval_seconds",
    "update_latency_seconds",
)
_INT_COLUMNS = ("run_id", "seed", "train_period", "eval_period", "n", "positives")
_NULLABLE_INT_COLUMNS = ("uauc_users", "samples_trained", "tokens_trained")


def get_experiment(session: Session, experiment_id: int) -> Experiment | None:
    return session.get(Experiment, experiment_id)


def list_experiments(session: Session, *, limit: int | None = None) -> list[Experiment]:
    """Newest first."""
    statement = select(Experiment).order_by(Experiment.id.desc()).limit(limit)
    return list(session.scalars(statement))


def get_run(session: Session, run_id: int) -> Run | None:
    return session.get(Run, run_id)


def list_runs(session: Session, experiment_id: int | None = None) -> list[Run]:
    """All runs, or the runs of one experiment, oldest first."""
    statement = select(Run).order_by(Run.id)
    if experiment_id is not None:
        statement = statement.where(Run.id.in_(_runs_of(experiment_id)))
    return list(session.scalars(statement))


_RUN_SOURCES = {
    "run_id": Run.id,
    "run_key": Run.key,
    "run_name": Run.name,
    "strategy": Run.strategy,
    "backbone": Run.backbone,
    "protocol": Run.protocol,
    "seed": Run.seed,
}
_RESULT_SOURCES = _RUN_SOURCES | {
    name: getattr(PeriodResult, name) for name in RESULT_COLUMNS if name not in _RUN_SOURCES
}
"""Where each results column comes from: the run's identity, then the result's own fields."""


def results_frame(
    session: Session, run_ids: Sequence[int], *, include_curves: bool = True
) -> pd.DataFrame:
    """One row per stored period result of these runs, with RESULT_COLUMNS, in period order.

    `include_curves=False` leaves out `coefficient_curve`: decoding that JSON was a third of
    the query's time on 200 runs (bench/bench_dashboard.py), and pages that chart AUCs need
    no curves.
    """
    names = [n for n in RESULT_COLUMNS if include_curves or n != "coefficient_curve"]
    statement = (
        select(*(_RESULT_SOURCES[name] for name in names))
        .join(PeriodResult, PeriodResult.run_id == Run.id)
        .where(Run.id.in_(list(run_ids)))
        .order_by(
            Run.id,
            PeriodResult.train_period,
            PeriodResult.eval_period,
            PeriodResult.role,
            PeriodResult.segment,
        )
    )
    rows = [tuple(row) for row in session.execute(statement)]
    frame = pd.DataFrame.from_records(rows, columns=names)
    # Fixed dtypes whatever is NULL: missing numbers are NaN / <NA>, enum members plain strings.
    frame["segment"] = frame["segment"].map(str)
    dtypes = {name: "int64" for name in _INT_COLUMNS}
    dtypes |= {name: "float64" for name in _FLOAT_COLUMNS}
    dtypes |= {name: "Int64" for name in _NULLABLE_INT_COLUMNS}
    return frame.astype(dtypes)


@dataclass(frozen=True)
class Comparison:
    """What a report of several experiments side by side reads from the store."""

    experiments: list[Experiment]
    protocol: str
    num_periods: int
    results: pd.DataFrame
    """`results_frame` of every run of the experiments (a run shared by two appears once), with
    `experiment_id` (the first of the experiments that holds the run) and `variant`
    (`variant_labels`)."""
    predictions: pd.DataFrame
    """`predictions_frame` of the served models' test scorings of those runs, with each run's
    `stream_id` (sample ids of two streams are not the same samples)."""


def comparison(session: Session, experiment_ids: Sequence[int]) -> Comparison:
    """The experiments' runs, results and test predictions; InputError when an experiment is
    missing or they differ in protocol or stream length (their periods would not line up)."""
    experiments = []
    for experiment_id in experiment_ids:
        experiment = session.get(Experiment, experiment_id)
        if experiment is None:
            raise InputError(f"no experiment {experiment_id} in the store", where="experiment")
        experiments.append(experiment)
    if not experiments:
        raise InputError("name at least one experiment", where="experiment")
    protocols = {e.protocol for e in experiments}
    if len(protocols) > 1:
        raise InputError(
            f"the experiments use different protocols ({', '.join(sorted(protocols))})",
            where="experiment",
        )
    first_experiment: dict[int, Experiment] = {}
    runs: dict[int, Run] = {}
    for experiment in experiments:
        for run in list_runs(session, experiment.id):
            first_experiment.setdefault(run.id, experiment)
            runs[run.id] = run
    run_ids = sorted(runs)
    lengths = set(
        session.scalars(
            select(StreamRecord.num_periods)
            .join(Run, Run.stream_id == StreamRecord.id)
            .where(Run.id.in_(run_ids))
        )
    )
    if len(lengths) != 1:
        raise InputError(
            f"the experiments' streams have {len(lengths) or 'no'} lengths "
            f"({', '.join(map(str, sorted(lengths)))}); compare experiments over one stream length",
            where="experiment",
        )
    results = results_frame(session, run_ids, include_curves=False)
    predictions = predictions_frame(session, run_ids)
    variants = variant_labels([runs[i] for i in run_ids], first_experiment)
    return Comparison(
        experiments=experiments,
        protocol=protocols.pop(),
        num_periods=lengths.pop(),
        results=results.assign(
            experiment_id=results["run_id"].map({i: e.id for i, e in first_experiment.items()}),
            variant=results["run_id"].map(variants),
        ),
        predictions=predictions.assign(
            stream_id=predictions["run_id"].map({i: run.stream_id for i, run in runs.items()})
        ),
    )


SEED_FIELDS = ("seed", "seeds")
"""Config fields, at any depth (the run's seed, the LoRA's and classic models' training seeds),
that tell the seeds of one variant apart (docs/method.md section 9)."""
SAMPLE_CONFIGS = ("budget",)
"""Nested configs whose seed draws the samples: runs that differ there are tested on other
samples, so they are other variants."""


def _without_seeds(config: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if k in SAMPLE_CONFIGS or not isinstance(v, dict) else _without_seeds(v)
        for k, v in config.items()
        if k not in SEED_FIELDS
    }


def variant_labels(runs: Sequence[Run], experiment_of: dict[int, Experiment]) -> dict[int, str]:
    """Run id -> its variant: runs whose configs agree but for the seed are the seeds of one
    variant, named by its strategy, or, where a strategy has several variants (other backbones
    or budgets), by the strategy and the experiment of its first run."""
    keys = {
        run.id: json.dumps(_without_seeds(run.config or {}), sort_keys=True, default=str)
        + run.strategy
        for run in runs
    }
    first_run: dict[str, Run] = {}
    for run in sorted(runs, key=lambda r: r.id):
        first_run.setdefault(keys[run.id], run)
    per_strategy: dict[str, int] = {}
    for run in first_run.values():
        per_strategy[run.strategy] = per_strategy.get(run.strategy, 0) + 1
    labels: dict[str, str] = {}
    for key, run in first_run.items():
        experiment = experiment_of[run.id]
        labels[key] = (
            run.strategy
            if per_strategy[run.strategy] == 1
            else f"{run.strategy} · {experiment.name} #{experiment.id}"
        )
    taken = pd.Series(labels).duplicated(keep=False)
    for key in taken[taken].index:  # two variants of a strategy in one experiment
        labels[key] += f" · run {first_run[key].id}"
    return {run.id: labels[keys[run.id]] for run in runs}


def latest_events(
    session: Session,
    *,
    experiment_id: int | None = None,
    run_id: int | None = None,
    limit: int = 100,
) -> list[Event]:
    """Newest first; an experiment's events include those of its runs."""
    statement = select(Event).order_by(Event.id.desc()).limit(limit)
    for condition in _activity_filter(Event, experiment_id, run_id):
        statement = statement.where(condition)
    return list(session.scalars(statement))


def list_progress(
    session: Session, *, experiment_id: int | None = None, run_id: int | None = None
) -> list[TaskProgress]:
    """Current progress of every task (of an experiment or run), most recently updated first."""
    statement = select(TaskProgress).order_by(TaskProgress.updated_at.desc(), TaskProgress.task_key)
    for condition in _activity_filter(TaskProgress, experiment_id, run_id):
        statement = statement.where(condition)
    return list(session.scalars(statement))


def _runs_of(experiment_id: int) -> Select[int]:
    return select(ExperimentRun.run_id).where(ExperimentRun.experiment_id == experiment_id)


def _activity_filter(
    model: type[Event] | type[TaskProgress], experiment_id: int | None, run_id: int | None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if experiment_id is not None:
        # A run shared by two experiments logs under the experiment that ran it; its membership
        # makes its activity show in the other experiment too.
        conditions.append(
            or_(model.experiment_id == experiment_id, model.run_id.in_(_runs_of(experiment_id)))
        )
    if run_id is not None:
        conditions.append(model.run_id == run_id)
    return conditions
