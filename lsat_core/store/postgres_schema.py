"""A PostgreSQL store inside its own schema: one database shared by independent users.

The schema travels in the database URL (`options=-csearch_path=<schema>`, a libpq connection
option), so `make_engine`, `upgrade` and `lsat db upgrade` work on it unchanged. Tests use
`temporary_schema` to get a fresh, private store in a database other test sessions use at the
same time.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.schema import CreateSchema, DropSchema

from lsat_core.errors import ConfigError
from lsat_core.store.engine import parse_database_url

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def url_with_schema(database_url: str, schema: str) -> str:
    """The PostgreSQL URL whose connections create and find tables in `schema`."""
    url = parse_database_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(f"schemas need PostgreSQL, not {url.get_backend_name()}", where="url")
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ConfigError(
            f"{schema!r} is not a plain lower-case PostgreSQL identifier", where="schema"
        )
    options = url.query.get("options")
    existing = " ".join(options) if isinstance(options, tuple) else (options or "")
    search_path = f"-csearch_path={schema}"
    return url.update_query_dict({"options": f"{existing} {search_path}".strip()}).render_as_string(
        hide_password=False
    )


@contextmanager
def temporary_schema(database_url: str, prefix: str = "lsat_test_") -> Iterator[str]:
    """Create a uniquely named schema, yield a URL bound to it, drop it (and its tables) after."""
    schema = f"{prefix}{uuid.uuid4().hex[:12]}"
    target = url_with_schema(database_url, schema)
    engine = create_engine(parse_database_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(CreateSchema(schema))
        yield target
    finally:
        with engine.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True, if_exists=True))
        engine.dispose()
