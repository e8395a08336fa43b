"""The store's judge of transient errors on errors SQLite really raises, and the WAL switch's
retry that asks it (`engine._use_wal`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lsat_core.store import engine as store_engine
from lsat_core.store.transient_errors import is_transient


def locked_error(tmp_path: Path) -> sqlite3.OperationalError:
    """The "database is locked" a second writer gets while the first holds the write lock."""
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            other.execute("BEGIN EXCLUSIVE")
        return raised.value
    finally:
        other.close()
        holder.close()


def test_sqlite_lock_is_transient_and_a_missing_table_is_not(tmp_path: Path) -> None:
    assert is_transient(locked_error(tmp_path))
    with pytest.raises(sqlite3.OperationalError) as missing:
        sqlite3.connect(":memory:").execute("SELECT * FROM runs")
    assert not is_transient(missing.value)


class ScriptedCursor:
    """Raises the given errors on its first executes, then succeeds."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors
        self.calls = 0

    def execute(self, statement: str) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)


def test_the_wal_switch_retries_a_lock_and_raises_anything_else(tmp_path: Path) -> None:
    locked = locked_error(tmp_path)
    cursor = ScriptedCursor([locked, locked])
    store_engine._use_wal(cursor)
    assert cursor.calls == 3
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 512)
    with pytest.raises(sqlite3.DatabaseError) as corrupt:
        sqlite3.connect(garbage).execute("PRAGMA journal_mode=WAL")
    failing = ScriptedCursor([corrupt.value])
    with pytest.raises(sqlite3.DatabaseError):
        store_engine._use_wal(failing)
    assert failing.calls == 1
