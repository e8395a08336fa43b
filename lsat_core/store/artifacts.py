"""Shared artifacts (adapters, baseline models): claimed by one worker, built once, then reused.

A claim is decided by the database: INSERT ... ON CONFLICT DO NOTHING creates the row already
claimed, and only a conditional UPDATE can take an existing row over, so of two workers claiming
one key exactly one acquires it. Commit right after claiming: on PostgreSQL a second claimer
waits on the uncommitted row, on SQLite on the write lock, until the first transaction ends.
Building then happens outside any transaction, and `complete_artifact` / `fail_artifact` (in a
new one) only succeed for the owner that holds the claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.orm import Session

from lsat_core.errors import ConfigError, LsatError
from lsat_core.store.keyed import check_same_config, dialect_insert
from lsat_core.store.models import Artifact, ArtifactStatus, utcnow

TRAINED_AS = "spec"
"""Config field naming what the first claim trained the artifact as (a model spec's label)."""


class ArtifactClaimError(LsatError):
    """The owner no longer holds the claim (another worker took a stale claim over)."""


@dataclass(frozen=True)
class ArtifactClaim:
    artifact: Artifact
    acquired: bool
    """True: this owner holds the claim and must build it. False: it is ready (use
    `artifact.path`) or another owner is building it (wait and claim again)."""


def claim_artifact(
    session: Session,
    key: str,
    owner: str,
    *,
    kind: str,
    config: dict[str, Any],
    trained_as: str | None = None,
    stale_after: timedelta | None = None,
) -> ArtifactClaim:
    """Claim the artifact `key` for `owner`, creating its row if it is new.

    `config` is what determines the artifact (checked against the stored row's); `trained_as`
    labels the row that creating claim makes (e.g. "lora:full@1"), for people and tests only.

    The claim is acquired when the row is new, pending or failed, already claimed by this same
    owner (a redelivered task), or claimed longer than `stale_after` ago by an owner that is
    presumed dead. A ready artifact is never claimed.
    """
    now = utcnow()
    created = session.execute(
        dialect_insert(session, Artifact)
        .values(
            key=key,
            kind=kind,
            config=config if trained_as is None else {**config, TRAINED_AS: trained_as},
            status=ArtifactStatus.TRAINING,
            claimed_by=owner,
            claimed_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Artifact.id)
    ).scalar_one_or_none()
    acquired = created is not None or _take_over(session, key, owner, stale_after)
    artifact = _load(session, key)
    if artifact.kind != kind:
        raise ConfigError(
            f"stored as kind {artifact.kind!r}, not {kind!r}", where=f"artifact {key}"
        )
    check_same_config(_weights_config(artifact.config), _weights_config(config), f"artifact {key}")
    return ArtifactClaim(artifact=artifact, acquired=acquired)


def _weights_config(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored config without its `TRAINED_AS` label: models that train the same thing share
    one key whatever asked for them, so only what determines the weights must agree."""
    return {name: value for name, value in stored.items() if name != TRAINED_AS}


def complete_artifact(
    session: Session,
    key: str,
    owner: str,
    *,
    path: str,
    sha256: str,
    metrics: dict[str, Any],
) -> Artifact:
    """Mark the artifact ready at `path`; only the owner holding the claim may."""
    now = utcnow()
    values = {
        "status": ArtifactStatus.READY,
        "path": path,
        "sha256": sha256,
        "metrics": metrics,
        "error": None,
        "completed_at": now,
        "updated_at": now,
    }
    return _update_claimed(session, key, owner, values)


def fail_artifact(session: Session, key: str, owner: str, error: str) -> Artifact:
    """Mark the artifact failed (the next claim retries it); only the claim's owner may."""
    values = {"status": ArtifactStatus.FAILED, "error": error, "updated_at": utcnow()}
    return _update_claimed(session, key, owner, values)


def invalidate_artifact(session: Session, key: str, path: str | None, error: str) -> bool:
    """Mark a ready artifact whose files at `path` are missing or unusable failed, so the next
    claim rebuilds it; returns whether it did. Only while it is ready at that same `path`: of
    several processes finding the files gone, one resets it, and a rebuild finished meanwhile is
    kept."""
    reset = session.execute(
        update(Artifact)
        .where(
            Artifact.key == key,
            Artifact.status == ArtifactStatus.READY,
            Artifact.path == path,
        )
        .values(status=ArtifactStatus.FAILED, error=error, updated_at=utcnow())
        .returning(Artifact.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return reset is not None


def get_artifact(session: Session, key: str) -> Artifact | None:
    return session.scalars(_by_key(key)).one_or_none()


def _take_over(session: Session, key: str, owner: str, stale_after: timedelta | None) -> bool:
    now = utcnow()
    training = Artifact.status == ArtifactStatus.TRAINING
    claimable: ColumnElement[bool] = or_(
        Artifact.status.in_([ArtifactStatus.PENDING, ArtifactStatus.FAILED]),
        and_(training, Artifact.claimed_by == owner),
    )
    if stale_after is not None:
        claimable = or_(claimable, and_(training, Artifact.claimed_at < now - stale_after))
    # One UPDATE with the condition in its WHERE: the database re-checks it on the row it locks,
    # so two owners taking over the same stale claim cannot both succeed.
    taken = session.execute(
        update(Artifact)
        .where(Artifact.key == key, claimable)
        .values(
            status=ArtifactStatus.TRAINING,
            claimed_by=owner,
            claimed_at=now,
            error=None,
            updated_at=now,
        )
        .returning(Artifact.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return taken is not None


def _update_claimed(session: Session, key: str, owner: str, values: dict[str, Any]) -> Artifact:
    updated = session.execute(
        update(Artifact)
        .where(
            Artifact.key == key,
            Artifact.status == ArtifactStatus.TRAINING,
            Artifact.claimed_by == owner,
        )
        .values(values)
        .returning(Artifact.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if updated is None:
        raise ArtifactClaimError(
            f"artifact {key}: not claimed by {owner} (claim lost or never held)"
        )
    return _load(session, key)


def _load(session: Session, key: str) -> Artifact:
    return session.scalars(_by_key(key)).one()


def _by_key(key: str) -> Select[Artifact]:
    # populate_existing: the Core-style INSERT/UPDATE statements here bypass the identity map.
    return select(Artifact).where(Artifact.key == key).execution_options(populate_existing=True)
