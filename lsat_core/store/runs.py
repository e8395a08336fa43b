"""Write side of streams, experiments and runs: keyed get-or-create (their status changes are in
`lifecycle`).

Get-or-create is INSERT ... ON CONFLICT DO NOTHING on the key's unique constraint followed by a
SELECT, so two workers creating the same stream or run at once end up with one row. None of these
functions commit: the caller's transaction decides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsat_core.store.keyed import check_same_config, dialect_insert
from lsat_core.store.lifecycle import locked_row
from lsat_core.store.models import Experiment, ExperimentRun, Run, StreamRecord


def get_or_create_stream(
    session: Session,
    *,
    key: str,
    dataset: str,
    config: dict[str, Any],
    source_checksum: str,
    num_periods: int,
    period_stats: list[Any],
) -> StreamRecord:
    """The stream stored under `key`, created from these values if there is none."""
    session.execute(
        dialect_insert(session, StreamRecord)
        .values(
            key=key,
            dataset=dataset,
            config=config,
            source_checksum=source_checksum,
            num_periods=num_periods,
            period_stats=period_stats,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    stream = session.scalars(select(StreamRecord).where(StreamRecord.key == key)).one()
    check_same_config(stream.config, config, f"stream {key}")
    return stream


def create_experiment(
    session: Session, *, name: str, protocol: str, config: dict[str, Any]
) -> Experiment:
    """A new pending experiment (experiments are not keyed: each launch is its own)."""
    experiment = Experiment(name=name, protocol=protocol, config=config)
    session.add(experiment)
    session.flush()
    return experiment


def get_or_create_run(
    session: Session,
    *,
    key: str,
    experiment_id: int,
    name: str,
    strategy: str,
    backbone: str,
    protocol: str,
    config: dict[str, Any],
    seed: int,
    stream_id: int | None = None,
) -> Run:
    """The run stored under `key` (created pending if new), made a member of the experiment.

    A run that another experiment already created is returned as it is, results and status
    included: equal keys mean equal configs, so its results answer this experiment too.
    """
    session.execute(
        dialect_insert(session, Run)
        .values(
            key=key,
            name=name,
            strategy=strategy,
            backbone=backbone,
            protocol=protocol,
            config=config,
            seed=seed,
            stream_id=stream_id,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    run = session.scalars(select(Run).where(Run.key == key)).one()
    check_same_config(run.config, config, f"run {key}")
    session.execute(
        dialect_insert(session, ExperimentRun)
        .values(experiment_id=experiment_id, run_id=run.id)
        .on_conflict_do_nothing(index_elements=["experiment_id", "run_id"])
    )
    return run


def set_run_stream(session: Session, run_id: int, stream_id: int) -> Run:
    """Record the stream a run replays (known once the stream is built)."""
    run = locked_row(session, Run, run_id)
    run.stream_id = stream_id
    session.flush()
    return run
