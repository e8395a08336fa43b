"""Database and broker URLs may hold passwords: neither a worker's start-up log nor an error
stored for the dashboard shows them (SECURITY.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from cli.worker_commands import worker_argv
from lsat_core.errors import LsatError
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Experiment
from lsat_core.store.postgres_schema import temporary_schema
from worker.queue_client import submit_experiment

SECRET = "s3cret-in-url"
# A Redis database no other test uses: this worker consumes the cpu queue there.
REDIS_DB = 11


def with_password(url: str) -> str:
    return make_url(url).set(password=SECRET).render_as_string(hide_password=False)


@pytest.mark.slow
def test_a_worker_start_up_log_masks_the_passwords_of_its_urls(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    broker = make_url(redis_url).set(database=str(REDIS_DB)).render_as_string(False)
    log = tmp_path / "worker.log"
    with temporary_schema(postgres_url) as database_url:
        env = os.environ | {
            "LSAT_DATA_DIR": str(tmp_path / "data"),
            "LSAT_DATABASE_URL": with_password(database_url),  # trust: any password is taken
            "LSAT_BROKER_URL": with_password(broker),
            "OMP_NUM_THREADS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        with log.open("w") as out:
            process = subprocess.Popen(
                worker_argv(("cpu",), name="masking@lsat-test"),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 90
            # Connected: the banner, the store's migration and the broker's login are done.
            while "Connected to redis://" not in log.read_text():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    text = log.read_text()
    assert f"transport:   redis://:**@{make_url(broker).host}" in text  # the URL is shown...
    assert SECRET not in text  # ...without its password


def test_an_unreachable_broker_is_stored_without_its_password(tmp_path: Path) -> None:
    settings = Settings.for_data_dir(tmp_path, broker_url=f"redis://:{SECRET}@127.0.0.1:9/0")
    upgrade(settings.database_url)
    with pytest.raises(LsatError, match="could not reach the broker") as caught:
        submit_experiment(settings, {"protocol": "next-period", "strategies": ["fine_tune"]}, "x")
    assert SECRET not in str(caught.value)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            (experiment,) = session.query(Experiment).all()
            assert experiment.error and SECRET not in experiment.error
    finally:
        engine.dispose()
