"""The period loop: prepare an experiment in the store, then update and evaluate, period by period.

`prepare_experiment` writes the stream, the experiment and one run per strategy and seed (keyed:
a run with the same config that another experiment already finished is reused, not redone).
`execute_experiment` walks the seeds, then the protocol's steps in order and, for each step, every
strategy:
update at t, score the tested periods, record all/warm/cold AUCs with their cost, each step in its
own transaction, so a watcher sees results arrive and a crash loses at most the step in flight.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from lsat_core.configs import config_to_dict
from lsat_core.data.stats import period_stats
from lsat_core.data.stream import Stream
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.engine.workbench import Workbench
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.evaluation.protocols import (
    FIXED_TARGET,
    EvalStep,
    fixed_target_warm_periods,
    plan_steps,
)
from lsat_core.evaluation.user_auc import user_auc
from lsat_core.store.engine import session_scope
from lsat_core.store.lifecycle import finish_runs, start_runs
from lsat_core.store.models import Segment
from lsat_core.store.predictions import record_predictions
from lsat_core.store.results import record_period_result
from lsat_core.store.runs import create_experiment, get_or_create_run, get_or_create_stream
from lsat_core.strategies.base import UpdatedModel
from lsat_core.strategies.registry import get_strategy

StepDone = Callable[[str, EvalStep], None]
"""Called with the run's name and the step after each update."""


@dataclass(frozen=True)
class PreparedRun:
    strategy: str
    seed: int
    name: str
    """The strategy, with its seed when the experiment has several (`lsat_en/seed1`)."""
    run_id: int


@dataclass(frozen=True)
class PreparedExperiment:
    experiment_id: int
    runs: tuple[PreparedRun, ...]
    """One run per seed and strategy, seed by seed."""

    @property
    def run_ids(self) -> dict[str, int]:
        """run name -> run id."""
        return {run.name: run.run_id for run in self.runs}

    def seed_runs(self, seed: int, among: Collection[int] | None = None) -> dict[str, int]:
        """strategy -> run id of the runs of `seed` (only those in `among` if given)."""
        return {
            run.strategy: run.run_id
            for run in self.runs
            if run.seed == seed and (among is None or run.run_id in among)
        }


def run_name(strategy: str, seed: int, config: ExperimentConfig) -> str:
    """A run's name: its strategy, and its seed when the experiment runs several."""
    return f"{strategy}/seed{seed}" if len(config.seeds) > 1 else strategy


def prepare_experiment(
    engine: Engine, config: ExperimentConfig, stream: Stream, name: str
) -> PreparedExperiment:
    """Create the experiment, then its stream row and runs (see `prepare_runs`)."""
    with session_scope(engine) as session:
        experiment = create_experiment(
            session, name=name, protocol=config.protocol, config=config.to_dict()
        )
        experiment_id = experiment.id
    return prepare_runs(engine, experiment_id, config, stream)


def prepare_runs(
    engine: Engine, experiment_id: int, config: ExperimentConfig, stream: Stream
) -> PreparedExperiment:
    """The stream row and one run per seed and strategy of a stored experiment, get-or-create by
    key (the dashboard creates the experiment row; a worker builds its runs once the stream is
    built). A run's config is its seed's (`ExperimentConfig.for_seed`) narrowed to its strategy,
    so runs of different seeds never share a key, and a run equal to one of another experiment
    (a single-seed experiment of that seed, say) is that run."""
    with session_scope(engine) as session:
        stream_row = get_or_create_stream(
            session,
            key=stream.key,
            dataset=config.dataset,
            config=config_to_dict(stream.config),
            source_checksum=stream.checksum,
            num_periods=stream.num_periods,
            period_stats=period_stats(stream).to_dict(orient="records"),
        )
        runs = []
        for seed in config.seeds:
            seeded = config.for_seed(seed)
            for strategy in config.strategies:
                name = run_name(strategy, seed, config)
                run = get_or_create_run(
                    session,
                    key=seeded.run_key(strategy),
                    experiment_id=experiment_id,
                    name=name,
                    strategy=strategy,
                    backbone=config.backbone.name_or_path,
                    protocol=config.protocol,
                    config=seeded.for_strategy(strategy).to_dict(),
                    seed=seed,
                    stream_id=stream_row.id,
                )
                runs.append(PreparedRun(strategy, seed, name, run.id))
    return PreparedExperiment(experiment_id, tuple(runs))


def execute_experiment(
    engine: Engine,
    prepared: PreparedExperiment,
    bench: Workbench,
    on_step: StepDone | None = None,
    *,
    seed_bench: Callable[[int], Workbench] | None = None,
) -> None:
    """Run every step of the protocol for every unfinished run, seed after seed, in order, in
    this process (runs already succeeded are not redone; the life cycle is
    `lsat_core.store.lifecycle`'s). `bench` is the workbench of the first seed; `seed_bench`
    opens another seed's, once the previous one is dropped (one backbone held at a time)."""
    config = bench.config
    steps = plan_steps(config.protocol, bench.stream.num_periods, config.update_periods)
    experiment_id = prepared.experiment_id
    with session_scope(engine) as session:
        pending = start_runs(session, experiment_id, prepared.run_ids)
    names = {run.run_id: run.name for run in prepared.runs}
    devices: set[str] = set()
    current: Workbench | None = bench
    del bench
    try:
        for seed in dict.fromkeys(run.seed for run in prepared.runs):
            if current is not None and current.config.seed != seed:
                current = None  # the previous seed's models and backbone go first
            runs = prepared.seed_runs(seed, among=set(pending.values()))
            if not runs:
                continue
            if current is None:
                if seed_bench is None:
                    raise ValueError(f"seed {seed} needs a workbench: pass seed_bench")
                current = seed_bench(seed)
            for step in steps:
                for strategy, run_id in runs.items():
                    run_step(engine, current, run_id, strategy, step)
                    if on_step is not None:
                        on_step(names[run_id], step)
            devices.add(bench_device(current))
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        with session_scope(engine) as session:
            finish_runs(session, experiment_id, pending.values(), error=error)
        raise
    with session_scope(engine) as session:
        finish_runs(session, experiment_id, pending.values(), device=", ".join(sorted(devices)))


def bench_device(bench: Workbench) -> str:
    return ", ".join(sorted({family.device() for family in bench.families.values()}))


def run_step(engine: Engine, bench: Workbench, run_id: int, strategy: str, step: EvalStep) -> None:
    """Update `strategy` at the step's period, test it on the step's periods and record every
    result cell (all/warm/cold; the served model and its parts) and every scoring's per-sample
    predictions in one transaction (predictions are written once: a rerun adds none)."""
    t = step.train_period
    updated = get_strategy(strategy).update(t, bench)
    warm = _warm_items(bench, updated)
    rows: list[dict] = []
    predictions: list[dict] = []
    for period in step.eval_periods:
        test = bench.samples(period, "test")
        is_warm = test.frame["item"].isin(warm).to_numpy()
        started = time.perf_counter()
        scored = {"model": updated.score(test)}
        eval_seconds = time.perf_counter() - started
        if len(updated.components) > 1:
            scored |= {role: bench.scores(spec, test) for role, spec in updated.components.items()}
        for role, scores in scored.items():
            seconds = eval_seconds if role == "model" else None
            rows.extend(_result_rows(role, test, scores, is_warm, period, seconds))
            predictions.append(
                {
                    "eval_period": period,
                    "role": role,
                    "coefficient": updated.coefficient if role == "model" else None,
                    "frame": _prediction_frame(test, scores, is_warm),
                }
            )
    with session_scope(engine) as session:
        for row in rows:
            is_model = row["role"] == "model"
            record_period_result(
                session,
                run_id=run_id,
                train_period=t,
                **row,
                coefficient=updated.coefficient if is_model else None,
                # The curve belongs to the update, not the segment: stored once, on "all".
                coefficient_curve=_curve(updated)
                if is_model and row["segment"] == Segment.ALL
                else None,
                samples_trained=updated.samples_trained,
                tokens_trained=updated.tokens_trained,
                train_seconds=updated.train_seconds,
                update_latency_seconds=updated.update_seconds,
                device=updated.device,
            )
        for prediction in predictions:
            record_predictions(session, run_id=run_id, train_period=t, **prediction)


def _warm_items(bench: Workbench, updated: UpdatedModel) -> frozenset[str]:
    """Warm items of a tested model: those it was trained on, except in the fixed-target
    protocol, where warm means seen as a target in the first half of the stream (docs/method.md
    section 4)."""
    if bench.config.protocol == FIXED_TARGET:
        return bench.stream.warm_items(fixed_target_warm_periods(bench.stream.num_periods))
    return updated.seen_items


def _result_rows(
    role: str,
    test: SampleSet,
    scores: np.ndarray,
    is_warm: np.ndarray,
    eval_period: int,
    eval_seconds: float | None,
) -> Iterable[dict]:
    users = test.frame["user"].to_numpy()
    for segment, mask in (
        (Segment.ALL, np.ones(len(test), dtype=bool)),
        (Segment.WARM, is_warm),
        (Segment.COLD, ~is_warm),
    ):
        auc = auc_with_ci(test.labels[mask], scores[mask])
        per_user = user_auc(users[mask], test.labels[mask], scores[mask])
        yield {
            "eval_period": eval_period,
            "role": role,
            "segment": segment,
            "auc": auc.auc,
            "n": auc.n,
            "positives": auc.positives,
            "ci_low": auc.ci_low,
            "ci_high": auc.ci_high,
            "uauc": per_user.uauc,
            "uauc_users": per_user.users,
            "eval_seconds": eval_seconds,
        }


def _prediction_frame(test: SampleSet, scores: np.ndarray, is_warm: np.ndarray) -> pd.DataFrame:
    """The samples' identity beside their scores (`lsat_core.store.predictions`)."""
    identity = test.frame.loc[:, ["sample_id", "user", "item", "label"]]
    return identity.assign(warm=is_warm, score=scores)


def _curve(updated: UpdatedModel) -> list[dict] | None:
    if updated.curve is None:
        return None
    return [
        {"coefficient": c, "auc": r.auc, "ci_low": r.ci_low, "ci_high": r.ci_high}
        for c, r in zip(updated.curve.coefficients, updated.curve.aucs, strict=True)
    ]
