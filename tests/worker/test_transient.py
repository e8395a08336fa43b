"""One table of real exceptions, wrapped as SQLAlchemy wraps them: which retry, which fail."""

from __future__ import annotations

import socket
import sqlite3

import kombu.exceptions
import psycopg
import psycopg.errors
import pytest
import redis.exceptions
import sqlalchemy.exc
from celery.exceptions import Reject

from lsat_core.engine.workbench import ModelBusyError
from lsat_core.errors import ConfigError, InputError
from worker.tasks import TRANSIENT_RETRIES, run_guarded
from worker.transient import is_transient


def wrapped(orig: Exception, dbapi: type[Exception] = psycopg.Error) -> sqlalchemy.exc.DBAPIError:
    """`orig` as SQLAlchemy raises it from a statement (its DB-API class picks the wrapper)."""
    return sqlalchemy.exc.DBAPIError.instance("SELECT 1", {}, orig, dbapi)


def invalidated(orig: Exception) -> sqlalchemy.exc.DBAPIError:
    return sqlalchemy.exc.DBAPIError.instance(
        "SELECT 1", {}, orig, psycopg.Error, connection_invalidated=True
    )


TRANSIENT = {
    "connection refused": wrapped(psycopg.OperationalError("connection refused")),
    "server closed the connection": wrapped(
        psycopg.OperationalError("server closed the connection unexpectedly")
    ),
    "serialization failure": wrapped(psycopg.errors.SerializationFailure("could not serialize")),
    "deadlock": wrapped(psycopg.errors.DeadlockDetected("deadlock detected")),
    "admin shutdown": wrapped(psycopg.errors.AdminShutdown("terminating connection")),
    "cannot connect now": wrapped(psycopg.errors.CannotConnectNow("starting up")),
    "lock not available": wrapped(psycopg.errors.LockNotAvailable("lock timeout")),
    "connection closed under a cursor": wrapped(psycopg.InterfaceError("the cursor is closed")),
    "any error on an invalidated connection": invalidated(psycopg.ProgrammingError("lost")),
    "sqlite locked": wrapped(sqlite3.OperationalError("database is locked"), sqlite3.Error),
    "pool timeout": sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
    "disconnect on checkout": sqlalchemy.exc.DisconnectionError("ping failed"),
    "broker unreachable": kombu.exceptions.OperationalError("Error 111 connecting to redis"),
    "redis connection": redis.exceptions.ConnectionError("Connection reset by peer"),
    "redis timeout": redis.exceptions.TimeoutError("Timeout reading from socket"),
    "socket reset": ConnectionResetError(104, "Connection reset by peer"),
    "socket timeout": TimeoutError("timed out"),
    "name resolution": socket.gaierror(-3, "Temporary failure in name resolution"),
}

NOT_TRANSIENT = {
    "undefined table": wrapped(psycopg.errors.UndefinedTable('relation "runs" does not exist')),
    "syntax error": wrapped(psycopg.errors.SyntaxError("syntax error at or near")),
    "unique violation": wrapped(psycopg.errors.UniqueViolation("duplicate key")),
    "operational error of a bug (statement timeout)": wrapped(
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout")
    ),
    "bad input": InputError("no such column 'rating'", where="ratings.csv"),
    "bad config": ConfigError("unknown strategy 'lsat_xx'", where="strategies"),
    "a bug": ValueError("shapes do not match"),
    "missing file": FileNotFoundError(2, "No such file", "adapter_model.safetensors"),
}


@pytest.mark.parametrize("exc", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_transient_errors(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize("exc", NOT_TRANSIENT.values(), ids=NOT_TRANSIENT.keys())
def test_errors_that_are_not_transient(exc: BaseException) -> None:
    assert not is_transient(exc)


class RetryRequested(Exception):
    pass


class FakeTask:
    def __init__(self, retries: int = 0, broker_down: bool = False) -> None:
        self.request = type("Request", (), {"retries": retries})()
        self.broker_down = broker_down

    def retry(self, **options: object) -> BaseException:
        if self.broker_down:  # what Celery's Task.retry does when it cannot send the retry
            raise Reject(options["exc"], requeue=False)
        return RetryRequested()


def _raise(exc: BaseException):
    def work() -> None:
        raise exc

    return work


@pytest.mark.parametrize("exc", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_every_transient_error_is_retried_and_fails_nothing(exc: BaseException) -> None:
    failures: list[str] = []
    with pytest.raises(RetryRequested):
        run_guarded(FakeTask(retries=TRANSIENT_RETRIES - 1), _raise(exc), failures.append)
    assert failures == []


@pytest.mark.parametrize("exc", NOT_TRANSIENT.values(), ids=NOT_TRANSIENT.keys())
def test_other_errors_fail_their_runs_with_one_line(exc: BaseException) -> None:
    failures: list[str] = []
    with pytest.raises(type(exc)):
        run_guarded(FakeTask(), _raise(exc), failures.append)
    assert failures == [f"{type(exc).__name__}: {exc}"]


def test_a_retry_the_broker_cannot_take_is_requeued_not_dropped() -> None:
    lost = TRANSIENT["broker unreachable"]
    for exc in (lost, ModelBusyError("busy")):
        with pytest.raises(Reject) as rejected:
            run_guarded(FakeTask(broker_down=True), _raise(exc), [].append)
        assert rejected.value.requeue is True
