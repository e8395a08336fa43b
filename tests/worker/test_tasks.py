"""What a task does with an error: stop when cancelled, wait for a busy model, retry transient
errors with backoff, and record anything else on the runs before re-raising."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy.exc

from lsat_core.engine.workbench import ModelBusyError
from worker.reporting import TaskCancelled
from worker.tasks import MAX_COUNTDOWN, TRANSIENT_RETRIES, countdown, run_guarded


class Retry(Exception):
    pass


class FakeTask:
    def __init__(self, retries: int = 0) -> None:
        self.request = SimpleNamespace(retries=retries)
        self.retried: dict | None = None

    def retry(self, **options):
        self.retried = options
        return Retry()


def _raise(exc: BaseException):
    def work():
        raise exc

    return work


def test_a_cancelled_task_stops_quietly() -> None:
    failures: list[str] = []
    assert run_guarded(FakeTask(), _raise(TaskCancelled("gone")), failures.append) is None
    assert failures == []


def test_a_busy_model_is_waited_for_without_a_retry_limit() -> None:
    task, failures = FakeTask(retries=30), []
    with pytest.raises(Retry):
        run_guarded(task, _raise(ModelBusyError("model x is being trained by y")), failures.append)
    assert task.retried["max_retries"] is None and task.retried["countdown"] <= MAX_COUNTDOWN
    assert failures == []


def test_transient_errors_are_retried_then_recorded() -> None:
    lost = sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    task, failures = FakeTask(retries=2), []
    with pytest.raises(Retry):
        run_guarded(task, _raise(lost), failures.append)
    assert task.retried["max_retries"] == TRANSIENT_RETRIES and failures == []

    exhausted = FakeTask(retries=TRANSIENT_RETRIES)
    with pytest.raises(sqlalchemy.exc.OperationalError):
        run_guarded(exhausted, _raise(lost), failures.append)
    assert exhausted.retried is None
    assert len(failures) == 1 and failures[0].startswith("OperationalError: ")


def test_other_errors_are_recorded_and_raised() -> None:
    failures: list[str] = []
    with pytest.raises(ValueError, match="bad adapter"):
        run_guarded(FakeTask(), _raise(ValueError("bad adapter")), failures.append)
    assert failures == ["ValueError: bad adapter"]


def test_backoff_grows_with_retries_and_stays_bounded() -> None:
    assert all(1.0 <= countdown(0, 2.0) <= 2.0 for _ in range(20))
    assert all(1.0 <= countdown(3, 2.0) <= 16.0 for _ in range(20))
    assert all(countdown(30, 2.0) <= MAX_COUNTDOWN for _ in range(20))
