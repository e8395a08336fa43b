"""Store queries the dashboard needs that `lsat_core.store.queries` does not offer (yet).

They belong beside the others in `lsat_core.store.queries`; they live here until the store's
owner takes them over, so the app keeps calling them through this one module.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lsat_core.store.models import (
    ExperimentRun,
    PeriodResult,
    Run,
    RunStatus,
    Segment,
    StreamRecord,
)

CURVE_COLUMNS = ("run_id", "train_period", "coefficient", "coefficient_curve")


def list_streams(session: Session) -> list[StreamRecord]:
    """Every stored stream, newest first."""
    return list(session.scalars(select(StreamRecord).order_by(StreamRecord.id.desc())))


def get_stream(session: Session, stream_id: int) -> StreamRecord | None:
    return session.get(StreamRecord, stream_id)


def streams_of_experiment(session: Session, experiment_id: int) -> list[StreamRecord]:
    """The streams an experiment's runs replay (one, unless runs were added by hand)."""
    # An IN over the ids, not DISTINCT over the rows: PostgreSQL cannot compare json columns.
    stream_ids = (
        select(Run.stream_id)
        .join(ExperimentRun, ExperimentRun.run_id == Run.id)
        .where(ExperimentRun.experiment_id == experiment_id)
    )
    statement = (
        select(StreamRecord).where(StreamRecord.id.in_(stream_ids)).order_by(StreamRecord.id)
    )
    return list(session.scalars(statement))


def curves_frame(session: Session, run_ids: Sequence[int]) -> pd.DataFrame:
    """The served model's validation curves, one row per (run, update period) that has one."""
    statement = (
        select(
            PeriodResult.run_id,
            PeriodResult.train_period,
            PeriodResult.coefficient,
            PeriodResult.coefficient_curve,
        )
        .where(
            PeriodResult.run_id.in_(list(run_ids)),
            PeriodResult.role == "model",
            PeriodResult.segment == Segment.ALL,
            PeriodResult.coefficient_curve.is_not(None),
        )
        .order_by(PeriodResult.run_id, PeriodResult.train_period, PeriodResult.eval_period)
    )
    rows = [tuple(row) for row in session.execute(statement)]
    frame = pd.DataFrame.from_records(rows, columns=list(CURVE_COLUMNS))
    # Every tested period of one update repeats its curve (cold-warm tests five periods).
    return frame.drop_duplicates(["run_id", "train_period"], ignore_index=True).astype(
        {"run_id": "int64", "train_period": "int64", "coefficient": "float64"}
    )


def results_marker(session: Session, run_ids: Select[tuple[int]]) -> tuple[int, str]:
    """(count, latest update) of the results of these runs: changes whenever a result does.

    Result caches are keyed by it, so a live page re-reads results only when a worker wrote
    some (an upsert refreshes `updated_at`; a deleted run lowers the count).
    """
    count, latest = session.execute(
        select(func.count(), func.max(PeriodResult.updated_at)).where(
            PeriodResult.run_id.in_(run_ids)
        )
    ).one()
    return count, "" if latest is None else latest.isoformat()


def experiment_run_ids(experiment_id: int) -> Select[tuple[int]]:
    return select(ExperimentRun.run_id).where(ExperimentRun.experiment_id == experiment_id)


def finished_stream_run_ids(stream_id: int) -> Select[tuple[int]]:
    """Runs over the stream that succeeded."""
    return select(Run.id).where(Run.stream_id == stream_id, Run.status == RunStatus.SUCCEEDED)
