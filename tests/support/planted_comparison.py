"""A store of two experiments with kept predictions, for the Compare page and `lsat report`.

Stream T = 4, next-period: every run's update t is tested on D_{t+1}; the summary periods are
D_3 and D_4. Per period every run is scored on the same 300 samples with noise they share, plus
noise of its own.

- experiment "seeds": `strong` (signal 1.2, 0.8, 1.0 for seeds 0, 1, 2), `weak` (0.6, seeds
  0..2) and the floor `popularity` (0.4, seed 0); the runs of a strategy differ only in seed.
- experiment "elsewhere": `other` (signal 1.0, seed 0) scored on other samples, so it pairs with
  no run of "seeds".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.evaluation.user_auc import user_auc
from lsat_core.store import (
    create_experiment,
    get_or_create_run,
    get_or_create_stream,
    make_engine,
    record_period_result,
    session_scope,
    upgrade,
)
from lsat_core.store.models import StreamRecord
from lsat_core.store.predictions import record_predictions

PERIODS = 4
SAMPLES = 300
USERS = 12
STRONG_SIGNALS = (1.2, 0.8, 1.0)


@dataclass(frozen=True)
class PlantedComparison:
    url: str
    seeds_experiment: int
    elsewhere_experiment: int
    run_ids: dict[str, int]
    """"strategy/seed" -> run id, e.g. "strong/1"."""


def record_scoring(session: Session, run_id: int, t: int, signal: float, offset: int) -> None:
    e = t + 1
    rng = np.random.default_rng(e)
    labels = rng.integers(0, 2, SAMPLES)
    scores = signal * labels + rng.normal(size=SAMPLES)
    scores += 0.3 * np.random.default_rng([run_id, e]).normal(size=SAMPLES)
    frame = pd.DataFrame(
        {
            "sample_id": np.arange(SAMPLES) + 1000 * e + offset,
            "user": [f"u{i % USERS}" for i in range(SAMPLES)],
            "item": "i",
            "label": labels,
            "warm": True,
            "score": scores,
        }
    )
    record_scored_cell(
        session, run_id, t, e, frame, samples_trained=1000 * t, train_seconds=10.0 * t
    )


def record_scored_cell(
    session: Session,
    run_id: int,
    t: int,
    e: int,
    predictions: pd.DataFrame,
    *,
    with_uauc: bool = True,
    **result_fields: float,
) -> None:
    """The model updated at t tested on D_e, recorded as the period loop records it: the
    cell's AUC with its DeLong interval (and uAUC over the users, `with_uauc`) from
    `predictions` (sample_id, user, item, label, warm, score), then the predictions."""
    labels, scores = predictions["label"].to_numpy(), predictions["score"].to_numpy()
    auc = auc_with_ci(labels, scores)
    if with_uauc:
        per_user = user_auc(predictions["user"].tolist(), labels, scores)
        result_fields |= {"uauc": per_user.uauc, "uauc_users": per_user.users}
    record_period_result(
        session,
        run_id=run_id,
        train_period=t,
        eval_period=e,
        auc=auc.auc,
        n=auc.n,
        positives=auc.positives,
        ci_low=auc.ci_low,
        ci_high=auc.ci_high,
        **result_fields,
    )
    record_predictions(session, run_id=run_id, train_period=t, eval_period=e, frame=predictions)


def run_config(strategy: str, seed: int) -> dict:
    """A run's config as an experiment of several seeds stores it: the seed of the run and of
    its models' training differ between seeds, the sample budget's seed does not."""
    return {
        "strategies": [strategy],
        "seed": seed,
        "seeds": [seed],
        "lora": {"r": 8, "seed": seed},
        "classic": {"epochs": 20, "seed": seed},
        "budget": {"test_per_period": SAMPLES, "seed": 0},
    }


def planted_stream(session: Session, key: str, periods: int) -> StreamRecord:
    """A stream row of `periods` periods standing for a planted one (no data behind it)."""
    return get_or_create_stream(
        session,
        key=key,
        dataset="ml-1m",
        config={},
        source_checksum="0" * 64,
        num_periods=periods,
        period_stats=[],
    )


def plant_comparison(url: str) -> PlantedComparison:
    upgrade(url)
    engine = make_engine(url)
    plan = {
        "seeds": [("strong", s, STRONG_SIGNALS[s], 0) for s in range(3)]
        + [("weak", s, 0.6, 0) for s in range(3)]
        + [("popularity", 0, 0.4, 0)],
        "elsewhere": [("other", 0, 1.0, 50_000)],
    }
    run_ids, experiment_ids = {}, []
    try:
        with session_scope(engine) as session:
            stream = planted_stream(session, "planted", PERIODS)
            for name, runs in plan.items():
                experiment = create_experiment(
                    session, name=name, protocol="next-period", config={}
                )
                experiment_ids.append(experiment.id)
                for strategy, seed, signal, offset in runs:
                    run = get_or_create_run(
                        session,
                        key=f"{name}-{strategy}-{seed}",
                        experiment_id=experiment.id,
                        name=strategy,
                        strategy=strategy,
                        backbone="b",
                        protocol="next-period",
                        config=run_config(strategy, seed),
                        seed=seed,
                        stream_id=stream.id,
                    )
                    run_ids[f"{strategy}/{seed}"] = run.id
                    for t in range(1, PERIODS):
                        record_scoring(session, run.id, t, signal, offset)
    finally:
        engine.dispose()
    return PlantedComparison(url, *experiment_ids, run_ids)
