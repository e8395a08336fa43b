"""cli.supervisor: the commands of `lsat up` stop together, on a signal or when one exits, and
leave no process behind (tests/cli/test_worker_commands.py runs the real `lsat up`)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = (
    "import json, sys; from cli.supervisor import run_together;"
    "print(run_together(json.loads(sys.argv[1])))"
)
SLEEPER = ["sleep", "60"]
SLEEPER_WITH_CHILD = ["sh", "-c", "sleep 60 & wait"]
"""A process whose own child must go too (as a Celery worker's pool does)."""
DEAF_TO_SIGTERM = ["sh", "-c", "trap '' TERM; sleep 60 & wait"]


def supervise(commands: list[list[str]], descendants: int) -> tuple[subprocess.Popen, list]:
    """`run_together(commands)` in a child process, once its `descendants` processes run."""
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE, json.dumps(commands)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = psutil.Process(supervisor.pid).children(recursive=True)
        if len(children) >= descendants:
            return supervisor, children
        time.sleep(0.05)
    supervisor.kill()
    pytest.fail(f"the commands did not start: {children}")


def assert_all_gone(processes: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(processes, timeout=10)
    assert alive == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_stops_every_command_and_their_children(signum: int) -> None:
    supervisor, descendants = supervise([SLEEPER, SLEEPER_WITH_CHILD], descendants=3)

    supervisor.send_signal(signum)

    out, _ = supervisor.communicate(timeout=30)
    assert (supervisor.returncode, out.strip()) == (0, "None")
    assert_all_gone(descendants)


def test_a_second_signal_stops_a_command_that_ignores_the_first() -> None:
    supervisor, descendants = supervise([DEAF_TO_SIGTERM], descendants=2)

    supervisor.send_signal(signal.SIGTERM)
    time.sleep(1)
    assert all(p.is_running() for p in descendants)  # as a worker finishing its task
    supervisor.send_signal(signal.SIGTERM)

    supervisor.communicate(timeout=30)
    assert_all_gone(descendants)


def test_one_command_exiting_stops_the_others_and_says_which() -> None:
    supervisor, descendants = supervise(
        [SLEEPER_WITH_CHILD, ["sh", "-c", "sleep 1; exit 3"]], descendants=4
    )

    out, _ = supervisor.communicate(timeout=30)

    assert out.strip() == "Exited(index=1, returncode=3)"
    assert_all_gone(descendants)
