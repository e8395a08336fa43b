"""Run a few commands together until one exits or we are asked to stop (`lsat up`).

Each command runs in its own process group, so a stop request reaches the commands through us
alone, the same way for Ctrl-C (SIGINT), `kill` (SIGTERM) and a closed terminal (SIGHUP): the
first such signal sends SIGTERM to each command (Celery's warm shutdown: the running task
finishes), a second one kills their process groups at once. On the way out whatever is left
in the groups (a worker's pool processes after their parent died) is killed, so nothing outlives
the session and no port stays served.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Exited:
    """The command that ended the session by exiting on its own."""

    index: int
    returncode: int


def run_together(commands: Sequence[Sequence[str]]) -> Exited | None:
    """Run `commands` until one exits (returned) or a stop signal arrives (None); either way
    the others are stopped and waited for before this returns."""
    processes: list[subprocess.Popen[bytes]] = []
    stops: list[int] = []
    exited: Exited | None = None

    def on_stop(signum: int, _frame: FrameType | None) -> None:
        stops.append(signum)
        for process in processes:
            _stop(process, at_once=len(stops) > 1)

    previous = {signum: signal.signal(signum, on_stop) for signum in STOP_SIGNALS}
    try:
        for command in commands:
            processes.append(subprocess.Popen(command, process_group=0))
        if not stops:
            # Waits without reaping, so that Popen still reads the exit code.
            first = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
            if not stops and first is not None:
                index = [p.pid for p in processes].index(first.si_pid)
                exited = Exited(index, processes[index].wait())
        for process in processes:
            _stop(process, at_once=len(stops) > 1)
        for process in processes:
            process.wait()
    finally:
        for process in processes:
            _kill_group(process)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return exited


def _stop(process: subprocess.Popen[bytes], *, at_once: bool) -> None:
    if at_once:
        _kill_group(process)
    elif process.poll() is None:
        process.send_signal(signal.SIGTERM)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is empty: nothing left to stop
        os.killpg(process.pid, signal.SIGKILL)
