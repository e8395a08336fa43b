"""Keyed writes: INSERT ... ON CONFLICT for the session's backend, and the one-key-one-config guard.

Both dialects' `insert()` offer `on_conflict_do_nothing` / `on_conflict_do_update` with
`index_elements`; SQLite has no `ON CONFLICT ON CONSTRAINT name`, so callers name the columns of
the unique constraint instead.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lsat_core.errors import ConfigError


def dialect_insert(session: Session, model: type) -> postgresql.Insert | sqlite.Insert:
    """`insert(model)` of the session's dialect (the ON CONFLICT clauses are dialect-specific)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise ConfigError(f"unsupported database {name!r}; use sqlite or postgresql", where="database")


def check_same_config(stored: dict[str, Any], given: dict[str, Any], where: str) -> None:
    """Refuse a key whose stored row was made from another config.

    Keys are config hashes: a different config under the same key means the key leaves out a
    field that matters (or a truncated hash collided), and reusing the row would be wrong. The
    given config is compared in its JSON form, as it was stored.
    """
    if stored != json.loads(json.dumps(given)):
        raise ConfigError("already stored with a different config under the same key", where=where)
