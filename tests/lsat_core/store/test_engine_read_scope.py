"""Reads on SQLite take no write lock: a long read never makes a writer wait."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, text

from lsat_core.store.engine import make_engine, read_scope, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Experiment
from lsat_core.store.runs import create_experiment


def test_a_writer_proceeds_while_a_read_scope_is_open(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        create_experiment(session, name="before", protocol="next-period", config={})

    written = threading.Event()

    def write() -> None:
        with session_scope(engine) as session:
            create_experiment(session, name="during", protocol="next-period", config={})
        written.set()

    with read_scope(engine) as session:
        names = session.scalars(select(Experiment.name)).all()
        writer = threading.Thread(target=write)
        started = time.perf_counter()
        writer.start()
        assert written.wait(5), "the writer waited for the reader"
        assert time.perf_counter() - started < 5
        # The reader keeps its snapshot.
        assert session.scalars(select(Experiment.name)).all() == names == ["before"]
    writer.join()
    with read_scope(engine) as session:
        assert session.execute(text("select count(*) from experiments")).scalar_one() == 2
