"""The one decision of whether an error is transient (retry the task) or not (fail its runs).

Transient: the store or the broker was unreachable or refused the transaction for a reason that
says nothing about the work (connection lost, server shutting down, serialization failure,
deadlock, a pool or socket timeout, SQLite's lock). The same task succeeds when delivered again,
so it is retried with backoff and never fails an experiment on its own. Everything else, a
user's bad input (`LsatError`) first of all, is recorded on the runs as one line.

A database error is judged by the SQLSTATE class of the driver's error where it has one, not by
its DB-API class alone: psycopg files some connection trouble under classes that also hold
programming errors (issue 15).
"""

from __future__ import annotations

import socket

import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc

from lsat_core.errors import LsatError

TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "53", "55P03", "57P01", "57P02", "57P03")
"""Connection exception, transaction rollback (serialization failure, deadlock), insufficient
resources, lock not available, admin or crash shutdown, cannot connect now (PostgreSQL
appendix A)."""

TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,  # connection refused or lost; SQLite "database is locked"
    sqlalchemy.exc.InterfaceError,  # a connection or cursor closed under the statement
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    kombu.exceptions.OperationalError,  # the broker is unreachable
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)


def is_transient(exc: BaseException) -> bool:
    """Whether the task that raised `exc` should be retried rather than fail its runs."""
    if isinstance(exc, LsatError):
        return False
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate:
            return sqlstate.startswith(TRANSIENT_SQLSTATE_PREFIXES)
    return isinstance(exc, TRANSIENT_TYPES)
