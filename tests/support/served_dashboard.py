"""Waiting for a dashboard started in a child process (`streamlit run`, `lsat up`) to answer."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

STARTUP_S = 90
"""Until Streamlit answers (`lsat up`'s worker imports torch beside it on 2 cores)."""


def wait_until_served(url: str, process: subprocess.Popen, *, name: str, log: Path) -> None:
    """Until Streamlit's health check at `url` answers; fails naming `name` and its `log` if
    the process exits first, or when STARTUP_S have passed."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the dashboard did not answer within {STARTUP_S} s")
