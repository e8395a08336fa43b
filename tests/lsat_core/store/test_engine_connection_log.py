"""Store connection trouble is logged with what was run, so that a soak of the fault tests
(bench/soak_faults.py) catches a recurrence of issue 15's ProgrammingError by its statement."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import ProgrammingError

from lsat_core.store.engine import make_engine

pytestmark = pytest.mark.postgres


def test_a_failed_pre_ping_and_a_programming_error_are_logged(
    postgres_store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(postgres_store_url)

    @event.listens_for(engine, "checkin")
    def _leave_a_transaction_open(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None:
            dbapi_connection.execute("SELECT 1")

    caplog.set_level(logging.WARNING, logger="lsat_core.store.engine")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        with engine.connect() as connection, pytest.raises(ProgrammingError):
            connection.execute(text("SELECT no_such_column FROM pg_class"))
    finally:
        engine.dispose()
    messages = [record.getMessage() for record in caplog.records]
    assert any(m.startswith("store: a pooled connection failed its pre-ping") for m in messages)
    assert any(
        m.startswith("store: programming error on 'SELECT no_such_column FROM pg_class'")
        for m in messages
    ), messages
