"""The one decision of whether a store or network error is transient: the same work succeeds
when tried again (connection lost, server shutting down, serialization failure, deadlock, a pool
or socket timeout, SQLite's lock), so it is retried and never fails an experiment on its own.
Everything else, a user's bad input (`LsatError`) first of all, is not.

`worker.transient` adds the broker's errors to this for the task retries; the store's own
retries (`engine._use_wal`) ask it directly, as lsat_core cannot import the worker.

A database error is judged by the driver's own code where it has one (PostgreSQL's SQLSTATE
class, SQLite's result code), not by its DB-API class alone: psycopg files some connection
trouble under classes that also hold programming errors (issue 15).
"""

from __future__ import annotations

import socket
import sqlite3

import sqlalchemy.exc

from lsat_core.errors import LsatError

TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "53", "55P03", "57P01", "57P02", "57P03")
"""Connection exception, transaction rollback (serialization failure, deadlock), insufficient
resources, lock not available, admin or crash shutdown, cannot connect now (PostgreSQL
appendix A)."""

TRANSIENT_SQLITE_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
"""Another connection holds the lock ("database is locked", "database table is locked")."""

TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,  # connection refused or lost; SQLite "database is locked"
    sqlalchemy.exc.InterfaceError,  # a connection or cursor closed under the statement
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)


def is_transient(exc: BaseException) -> bool:
    """Whether the work that raised `exc` should be tried again rather than fail."""
    if isinstance(exc, LsatError):
        return False
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        verdict = _driver_verdict(exc.orig)
        if verdict is not None:
            return verdict
    else:
        verdict = _driver_verdict(exc)
        if verdict is not None:
            return verdict
    return isinstance(exc, TRANSIENT_TYPES)


def _driver_verdict(error: BaseException | None) -> bool | None:
    """What the driver's own error code says, or None when it carries none."""
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(TRANSIENT_SQLSTATE_PREFIXES)
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            # Extended codes (e.g. SQLITE_BUSY_SNAPSHOT) keep the primary code in the low byte.
            return code & 0xFF in TRANSIENT_SQLITE_CODES
    return None
