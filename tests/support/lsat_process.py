"""`lsat` run as a user runs it, in a child process with a bare environment (no inherited
store or broker URL), so its exit code and stderr are what the command line gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def lsat_process(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {"LSAT_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin", "HOME": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
