"""Recording per-period results: an upsert on (run, train period, eval period, role, segment).

A retried or redelivered task records the same cell again; the row is updated in place, so the
store never holds two answers for one cell.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from lsat_core.errors import InputError
from lsat_core.store.keyed import dialect_insert
from lsat_core.store.models import PeriodResult, Segment, utcnow

_CELL = ("run_id", "train_period", "eval_period", "role", "segment")


def record_period_result(
    session: Session,
    *,
    run_id: int,
    train_period: int,
    eval_period: int,
    auc: float | None,
    n: int,
    positives: int,
    ci_low: float | None = None,
    ci_high: float | None = None,
    uauc: float | None = None,
    uauc_users: int | None = None,
    role: str = "model",
    segment: Segment = Segment.ALL,
    coefficient: float | None = None,
    coefficient_curve: list[Any] | None = None,
    samples_trained: int | None = None,
    tokens_trained: int | None = None,
    train_seconds: float | None = None,
    eval_seconds: float | None = None,
    update_latency_seconds: float | None = None,
    device: str | None = None,
) -> PeriodResult:
    """Insert or overwrite one result cell and return the stored row.

    The AUC arguments match `lsat_core.evaluation.metrics.AucResult` and the uAUC ones
    `lsat_core.evaluation.user_auc.UserAuc` (its `users` as `uauc_users`), so a caller can pass
    `**dataclasses.asdict(auc_result)`. Every value is overwritten on a repeat, so a re-recording
    must pass the whole row again (a field left out is stored as NULL).
    """
    where = f"period result of run {run_id} ({train_period}->{eval_period}, {role}, {segment})"
    _validate(train_period, eval_period, auc, n, positives, ci_low, ci_high, uauc, where)
    if uauc_users is not None and not 0 <= uauc_users <= n:
        raise InputError(f"uauc_users={uauc_users} must lie in [0, n={n}]", where=where)
    now = utcnow()
    values = {
        "run_id": run_id,
        "train_period": train_period,
        "eval_period": eval_period,
        "role": role,
        "segment": Segment(segment),
        "auc": auc,
        "n": n,
        "positives": positives,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "uauc": uauc,
        "uauc_users": uauc_users,
        "coefficient": coefficient,
        "coefficient_curve": coefficient_curve,
        "samples_trained": samples_trained,
        "tokens_trained": tokens_trained,
        "train_seconds": train_seconds,
        "eval_seconds": eval_seconds,
        "update_latency_seconds": update_latency_seconds,
        "device": device,
        "created_at": now,
        "updated_at": now,
    }
    insert = dialect_insert(session, PeriodResult).values(values)
    overwrite = {
        name: insert.excluded[name] for name in values if name not in (*_CELL, "created_at")
    }
    statement = insert.on_conflict_do_update(index_elements=list(_CELL), set_=overwrite).returning(
        PeriodResult
    )
    # populate_existing: a row this session already holds is refreshed from the upsert's RETURNING.
    return session.scalars(statement, execution_options={"populate_existing": True}).one()


def _validate(
    train_period: int,
    eval_period: int,
    auc: float | None,
    n: int,
    positives: int,
    ci_low: float | None,
    ci_high: float | None,
    uauc: float | None,
    where: str,
) -> None:
    if train_period < 0 or eval_period < 1:
        raise InputError("periods start at 1 (train_period 0 is the untrained model)", where=where)
    if not 0 <= positives <= n:
        raise InputError(f"positives={positives} must lie in [0, n={n}]", where=where)
    for name, value in (("auc", auc), ("ci_low", ci_low), ("ci_high", ci_high), ("uauc", uauc)):
        if value is not None and not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise InputError(f"{name}={value} must lie in [0, 1] or be None", where=where)
