"""A pooled PostgreSQL connection the pre-ping cannot use is replaced, never raised to the caller.

Reproduces the ProgrammingError a broker-crash fault run recorded as an experiment's error
(issue 15): a connection waiting in the pool inside an open transaction makes SQLAlchemy's
psycopg ping fail with psycopg's ProgrammingError ("can't change 'autocommit' now"), which the
dialect does not count as a disconnect.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from lsat_core.store.engine import make_engine

pytestmark = pytest.mark.postgres


def test_a_pooled_connection_left_in_a_transaction_is_replaced_on_checkout(
    postgres_store_url: str,
) -> None:
    engine = make_engine(postgres_store_url)

    @event.listens_for(engine, "checkin")
    def _leave_a_transaction_open(dbapi_connection: Any, _record: Any) -> None:
        # After the pool's reset: the connection goes back to the pool inside a transaction
        # (None: a connection the pool already dropped).
        if dbapi_connection is not None:
            dbapi_connection.execute("SELECT 1")

    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as connection:
            second = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert second != first  # the stuck connection was dropped and a fresh one opened
    finally:
        engine.dispose()
