from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update

from lsat_core.errors import ConfigError
from lsat_core.store import (
    Artifact,
    ArtifactClaim,
    ArtifactClaimError,
    ArtifactStatus,
    claim_artifact,
    complete_artifact,
    fail_artifact,
    get_artifact,
    make_session_factory,
    session_scope,
)
from lsat_core.store.artifacts import invalidate_artifact
from lsat_core.store.models import utcnow

KEY = "stream-abc/long/1-10/cfg-123"
CONFIG = {"r": 8, "alpha": 16, "periods": [1, 10]}


def _claim(engine: Engine, owner: str, **options: object) -> ArtifactClaim:
    with session_scope(engine) as session:
        return claim_artifact(session, KEY, owner, kind="lora_adapter", config=CONFIG, **options)


def _complete(engine: Engine, owner: str) -> Artifact:
    with session_scope(engine) as session:
        return complete_artifact(
            session, KEY, owner, path="adapters/abc", sha256="f" * 64, metrics={"best_auc": 0.72}
        )


def test_the_first_claim_builds_and_later_ones_reuse_the_ready_artifact(engine: Engine) -> None:
    first = _claim(engine, "worker-1")
    assert first.acquired and first.artifact.status is ArtifactStatus.TRAINING
    assert first.artifact.claimed_by == "worker-1" and first.artifact.claimed_at is not None
    busy = _claim(engine, "worker-2")
    assert not busy.acquired and busy.artifact.claimed_by == "worker-1"
    ready = _complete(engine, "worker-1")
    assert ready.status is ArtifactStatus.READY and ready.completed_at is not None
    reuse = _claim(engine, "worker-2")
    assert not reuse.acquired
    assert (reuse.artifact.path, reuse.artifact.metrics) == ("adapters/abc", {"best_auc": 0.72})
    assert not _claim(engine, "worker-1").acquired  # ready is never rebuilt


def test_a_redelivered_task_of_the_same_owner_keeps_its_claim(engine: Engine) -> None:
    assert _claim(engine, "worker-1").acquired
    assert _claim(engine, "worker-1").acquired


def test_a_failed_artifact_is_retried_by_the_next_claim(engine: Engine) -> None:
    _claim(engine, "worker-1")
    with session_scope(engine) as session:
        failed = fail_artifact(session, KEY, "worker-1", "CUDA out of memory")
        assert failed.status is ArtifactStatus.FAILED and failed.error == "CUDA out of memory"
    retry = _claim(engine, "worker-2")
    assert retry.acquired and retry.artifact.error is None
    assert retry.artifact.claimed_by == "worker-2"


def test_only_the_owner_can_complete_or_fail(engine: Engine) -> None:
    _claim(engine, "worker-1")
    with pytest.raises(ArtifactClaimError, match="not claimed by worker-2"):
        _complete(engine, "worker-2")
    with pytest.raises(ArtifactClaimError), session_scope(engine) as session:
        fail_artifact(session, KEY, "worker-2", "boom")
    with session_scope(engine) as session:
        assert get_artifact(session, KEY).status is ArtifactStatus.TRAINING


def test_a_stale_claim_is_taken_over_and_the_old_owner_loses_it(engine: Engine) -> None:
    _claim(engine, "worker-1")
    assert not _claim(engine, "worker-2", stale_after=timedelta(hours=1)).acquired
    _age_claim(engine, timedelta(hours=2))
    assert _claim(engine, "worker-2", stale_after=timedelta(hours=1)).acquired
    with pytest.raises(ArtifactClaimError):
        _complete(engine, "worker-1")
    assert _complete(engine, "worker-2").status is ArtifactStatus.READY


def test_a_key_claimed_with_another_kind_or_config_is_refused(engine: Engine) -> None:
    _claim(engine, "worker-1")
    other_kind = pytest.raises(ConfigError, match="stored as kind 'lora_adapter'")
    with other_kind, session_scope(engine) as session:
        claim_artifact(session, KEY, "w", kind="baseline_model", config=CONFIG)
    with pytest.raises(ConfigError, match="different config"), session_scope(engine) as session:
        claim_artifact(session, KEY, "w", kind="lora_adapter", config={"r": 16})


def test_one_model_claimed_under_two_labels_is_one_row_labelled_by_its_first_claim(
    engine: Engine,
) -> None:
    """Full retraining and the short-term LoRA at t = 1 train the same model under one key."""
    assert _claim(engine, "w1", trained_as="lora:full@1").acquired
    _complete(engine, "w1")

    second = _claim(engine, "w2", trained_as="lora:short@1")

    assert not second.acquired and second.artifact.status == ArtifactStatus.READY
    assert second.artifact.config == {**CONFIG, "spec": "lora:full@1"}


def test_get_artifact_of_an_unknown_key_is_none(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert get_artifact(session, "nothing") is None


def test_a_second_claim_waits_for_the_first_transaction_and_loses(engine: Engine) -> None:
    # The first claim's transaction is still open: the second one must wait for it (row lock on
    # PostgreSQL, write lock on SQLite) rather than decide on what it saw before the commit.
    first = make_session_factory(engine)()
    first.begin()
    assert claim_artifact(first, KEY, "worker-1", kind="lora_adapter", config=CONFIG).acquired
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(_claim, engine, "worker-2")
        time.sleep(0.5)
        assert not second.done()
        first.commit()
        first.close()
        result = second.result(timeout=60)
    assert not result.acquired and result.artifact.claimed_by == "worker-1"


@pytest.mark.parametrize("stale", [False, True], ids=["new key", "stale claim"])
def test_of_many_simultaneous_claims_exactly_one_wins(engine: Engine, stale: bool) -> None:
    if stale:
        _claim(engine, "dead-worker")
        _age_claim(engine, timedelta(hours=2))
    owners = [f"worker-{i}" for i in range(6)]
    start = threading.Barrier(len(owners))

    def claim(owner: str) -> ArtifactClaim:
        start.wait()
        return _claim(engine, owner, stale_after=timedelta(hours=1))

    with ThreadPoolExecutor(len(owners)) as pool:
        claims = list(pool.map(claim, owners))
    winners = [c.artifact.claimed_by for c in claims if c.acquired]
    assert len(winners) == 1
    assert {c.artifact.claimed_by for c in claims} <= {winners[0], "dead-worker"}
    with session_scope(engine) as session:
        assert get_artifact(session, KEY).claimed_by == winners[0]


def _age_claim(engine: Engine, age: timedelta) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(Artifact).where(Artifact.key == KEY).values(claimed_at=utcnow() - age)
        )


def test_a_ready_artifact_with_unusable_files_is_reset_once_and_rebuilt(engine: Engine) -> None:
    assert _claim(engine, "worker-1").acquired
    _complete(engine, "worker-1")
    with session_scope(engine) as session:
        assert not invalidate_artifact(session, KEY, "adapters/other", "gone")  # not its path
        assert invalidate_artifact(session, KEY, "adapters/abc", "files missing")
        assert not invalidate_artifact(session, KEY, "adapters/abc", "files missing")  # once
        assert get_artifact(session, KEY).error == "files missing"
    rebuild = _claim(engine, "worker-2")
    assert rebuild.acquired and rebuild.artifact.status is ArtifactStatus.TRAINING
    assert not _claim(engine, "worker-1").acquired
