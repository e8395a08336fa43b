"""Engines and sessions for the run store: SQLite (a file, the default) or PostgreSQL by URL.

The caller owns the transaction: data-access functions in this package flush but never commit;
`session_scope` commits when its block ends and rolls back when it raises.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from lsat_core.errors import ConfigError
from lsat_core.store.transient_errors import is_transient

logger = logging.getLogger(__name__)

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another one before "database is locked"."""
READ_ONLY_OPTION = "lsat_read_only"
"""Execution option that makes a SQLite transaction begin deferred (see `read_scope`)."""


def parse_database_url(database_url: str) -> URL:
    """The URL, or a ConfigError naming it when it is malformed or not a supported backend."""
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        # Not echoed: an unparsable URL cannot be masked and may hold a password.
        raise ConfigError(
            "not a database URL (e.g. sqlite:////path/lsat.db or "
            "postgresql+psycopg://user:password@host:5432/lsat)",
            where="database_url",
        ) from exc
    if url.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"unsupported database {url.get_backend_name()!r} in "
            f"{url.render_as_string(hide_password=True)}; use sqlite or postgresql",
            where="database_url",
        )
    return url


def make_engine(database_url: str, *, enforce_foreign_keys: bool = True) -> Engine:
    """An engine for the store; for a SQLite file, creates its folder and sets it up for workers.

    `enforce_foreign_keys=False` is only for schema migrations: SQLite alters a table by copying
    and dropping it, and dropping a parent would cascade-delete its children.
    """
    url = parse_database_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _make_sqlite_engine(url, enforce_foreign_keys)
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "handle_error", _failed_ping_is_a_disconnect)
    return engine


def _failed_ping_is_a_disconnect(context: ExceptionContext) -> None:
    """A pooled connection whose pre-ping fails for any reason is replaced, not used.

    SQLAlchemy's psycopg ping switches the connection to autocommit, which psycopg refuses with
    a ProgrammingError ("can't change 'autocommit' now: connection in transaction status
    INTRANS") when the pooled connection is not idle; the dialect counts only a closed or broken
    socket as a disconnect, so that error escaped the checkout as a ProgrammingError that no
    caller retries, and failed the task that merely asked for a connection.
    """
    if context.is_pre_ping:
        context.is_disconnect = True
        logger.warning(
            "store: a pooled connection failed its pre-ping, replaced: %s", _error(context)
        )
    elif context.is_disconnect or isinstance(context.sqlalchemy_exception, ProgrammingError):
        # Logged with the statement, so that a recurrence of issue 15's ProgrammingError in a
        # worker's log (tests/faults, bench/soak_faults.py) names what was run.
        kind = "disconnect" if context.is_disconnect else "programming error"
        logger.warning("store: %s on %r: %s", kind, context.statement, _error(context))


def _error(context: ExceptionContext) -> str:
    exc = context.original_exception
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _make_sqlite_engine(url: URL, enforce_foreign_keys: bool) -> Engine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the sqlite3 driver, emits BEGIN (the recipe in SQLAlchemy's SQLite
        # dialect docs): the driver's legacy mode runs SELECTs outside the transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enforce_foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a transaction that reads and then writes
        # waits for other writers (busy_timeout) instead of failing with SQLITE_BUSY when its
        # read snapshot went stale (sqlite.org/isolation.html, sqlite.org/lang_transaction.html).
        # A read-only scope begins deferred instead: it takes no write lock, so the dashboard's
        # reads never make a worker's writes wait.
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _use_wal(cursor: Any) -> None:
    """Put the database in WAL mode, which lets the dashboard read while a worker writes
    (sqlite.org/wal.html). The mode is stored in the file, so only a new file switches; when
    several processes open a new file at once, the losers get "database is locked" at once,
    without the busy timeout, and retry while the error is transient (`transient_errors`, the
    one judge of that) until the winner's switch is visible."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.Error as exc:
            if not is_transient(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (the dashboard uses them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises.

    Keep it short (never train or score inside one): on SQLite an open transaction holds the
    write lock, and on PostgreSQL the rows it wrote stay locked until it ends.
    """
    with make_session_factory(engine)() as session, session.begin():
        yield session


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A transaction for reads only: on SQLite it takes no write lock (WAL readers see a
    consistent snapshot without blocking writers); it is rolled back at the end."""
    reader = engine.execution_options(**{READ_ONLY_OPTION: True})
    with make_session_factory(reader)() as session:
        yield session  # closing the session rolls the read transaction back
