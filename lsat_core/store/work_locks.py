"""Exclusive locks on a unit of work, held while it runs and gone when its holder dies.

Two workers may be handed the same unit of work at once (an evaluation is sent by each model task
that finds its models ready, and two can finish together). Results are upserted by key, so
nothing doubles, but the work would be done twice; a lock held while it runs tells the second
one to leave it to the first. The lock must vanish with a crashed holder, or the redelivered work
would never run again: on PostgreSQL it is a session advisory lock (released when the holder's
connection drops), on SQLite an `flock` on a file beside the database (released when the holder's
process exits; SQLite stores are local files, so every worker shares that folder).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

try:
    import fcntl
except ImportError:  # not POSIX: no lock, the work may run twice (results are still upserted)
    fcntl = None  # type: ignore[assignment]


@contextmanager
def work_lock(engine: Engine, key: str) -> Iterator[bool]:
    """Try to take the lock of `key` without waiting; yields whether this holder has it."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, key) as held:
            yield held
    else:
        with _file_lock(engine, key) as held:
            yield held


@contextmanager
def _advisory_lock(engine: Engine, key: str) -> Iterator[bool]:
    with engine.connect() as connection:
        # Advisory locks are database-wide: the schema keeps two stores in one database apart.
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        lock_id = _lock_id(f"{schema}:{key}")
        held = connection.execute(
            text("SELECT pg_try_advisory_lock(:id)"), {"id": lock_id}
        ).scalar_one()
        connection.commit()  # the session lock outlives the transaction; no snapshot is held
        try:
            yield bool(held)
        finally:
            if held:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
                    connection.commit()
                except DBAPIError:
                    connection.invalidate()  # the connection died, and its lock with it


@contextmanager
def _file_lock(engine: Engine, key: str) -> Iterator[bool]:
    database = engine.url.database
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        yield True
        return
    folder = Path(database).expanduser().with_name(Path(database).name + ".locks")
    folder.mkdir(exist_ok=True)
    with open(folder / hashlib.sha256(key.encode()).hexdigest()[:32], "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_id(key: str) -> int:
    """A signed 64-bit id for `key` (PostgreSQL's advisory lock space)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
