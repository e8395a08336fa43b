"""`lsat worker | submit | status | cancel` (the integration tests in tests/worker run workers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
import typer
from typer.testing import CliRunner

from cli.worker_commands import dashboard_entry, parse_queues, register, worker_argv
from lsat_core.errors import ConfigError
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.models import Experiment, RunStatus

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LSAT_DATABASE_URL", raising=False)
    monkeypatch.delenv("LSAT_BROKER_URL", raising=False)
    app = typer.Typer()
    register(app)
    return app


def test_worker_command_line() -> None:
    assert worker_argv(("cpu",), concurrency=2, name="w1@%h", redelivery_after=30) == [
        sys.executable,
        *("-m", "celery", "-A", "worker.app", "worker"),
        *("--queues", "cpu", "--concurrency", "2", "--hostname", "w1@%h"),
        *("--loglevel", "INFO", "--redelivery-after", "30"),
    ]
    with pytest.raises(ConfigError, match="one task at a time"):
        worker_argv(("gpu", "cpu"), concurrency=2)
    assert parse_queues("gpu, cpu") == ("gpu", "cpu")
    with pytest.raises(ConfigError, match="--queues: choose from gpu, cpu"):
        parse_queues("gpu,fast")


def test_the_dashboard_entry_is_the_streamlit_app() -> None:
    assert dashboard_entry() == REPO_ROOT / "app" / "main.py"


def test_submit_prints_the_id_status_shows_it_cancel_stops_it(
    cli: typer.Typer, tmp_path: Path
) -> None:
    runner = CliRunner()
    submitted = runner.invoke(
        cli, ["submit", "--strategies", "full_retrain,lsat_en", "--m", "2", "--name", "mine"]
    )
    assert submitted.exit_code == 0, submitted.output
    experiment_id = int(submitted.stdout.strip())
    database = Settings.for_data_dir(tmp_path / "data").database_url

    shown = runner.invoke(cli, ["status", str(experiment_id)])
    assert shown.exit_code == 0, shown.output
    assert f"experiment {experiment_id} 'mine': pending" in shown.stdout
    assert "submitted: full_retrain, lsat_en" in shown.stdout

    cancelled = runner.invoke(cli, ["cancel", str(experiment_id)])
    assert cancelled.exit_code == 0, cancelled.output
    assert "0 runs cancelled; revoked 1 task ids" in cancelled.stdout
    engine = make_engine(database)
    with session_scope(engine) as session:
        experiment = session.get_one(Experiment, experiment_id)
        assert experiment.status == RunStatus.CANCELLED
        assert experiment.config["long_term_period"] == 2
    engine.dispose()


def test_submit_takes_seeds_and_names_the_option_a_bad_value_came_from(
    cli: typer.Typer, tmp_path: Path
) -> None:
    runner = CliRunner()
    submitted = runner.invoke(cli, ["submit", "--strategies", "popularity", "--seeds", "0,1"])
    assert submitted.exit_code == 0, submitted.output
    engine = make_engine(Settings.for_data_dir(tmp_path / "data").database_url)
    with session_scope(engine) as session:
        stored = session.get_one(Experiment, int(submitted.stdout.strip())).config
    engine.dispose()
    assert stored["seeds"] == [0, 1]

    refused = runner.invoke(cli, ["submit", "--strategies", "popularity", "--m", "99"])
    assert refused.exit_code != 0
    assert "--m" in str(refused.exception) and "long_term_period" not in str(refused.exception)


def test_status_of_an_unknown_experiment_is_a_one_line_error(cli: typer.Typer) -> None:
    from lsat_core.store.migrate import upgrade

    upgrade(Settings.from_env().database_url)
    result = CliRunner().invoke(cli, ["status", "99"])
    assert result.exit_code != 0
    assert "experiment 99: no such experiment" in str(result.exception)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_up_runs_a_worker_and_the_dashboard_until_sigterm_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """SIGTERM as a service manager or `kill` sends it (Ctrl-C and SIGHUP take the same path:
    tests/cli/test_supervisor.py); before, SIGTERM left both running and the port served."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "LSAT_DATA_DIR": str(tmp_path / "data"),
        "LSAT_DATABASE_URL": "",
        "LSAT_BROKER_URL": "",
    }
    code = (
        "import typer; from cli.worker_commands import register;"
        "app = typer.Typer(); register(app); app()"
    )
    log = tmp_path / "up.log"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "up", "--queues", "cpu", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as reply:
                    dashboard_up = reply.status == 200
            except OSError:
                dashboard_up = False
            if dashboard_up and "ready." in log.read_text():
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"worker or dashboard did not start:\n{log.read_text()}")
        # The embedded defaults: the store was migrated and the broker folder made.
        assert (tmp_path / "data" / "lsat.db").is_file()
        assert (tmp_path / "data" / "broker" / "queue").is_dir()
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert len(descendants) >= 3  # the worker, its pool process and the dashboard
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        _, alive = psutil.wait_procs(descendants, timeout=10)
        assert alive == []
    finally:
        if process.poll() is None:
            process.kill()
    assert "Warm shutdown" in log.read_text()
    with pytest.raises(ConnectionRefusedError):  # nothing serves the dashboard's port any more
        socket.create_connection(("127.0.0.1", port), timeout=5)
