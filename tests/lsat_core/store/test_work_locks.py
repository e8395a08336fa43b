"""Work locks: one holder at a time per key, on both backends, and gone when the holder dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from sqlalchemy import Engine

from lsat_core.store.engine import make_engine
from lsat_core.store.work_locks import work_lock


def test_one_holder_per_key_until_it_lets_go(engine: Engine, store_url: str) -> None:
    other = make_engine(store_url)  # another worker's engine
    try:
        with work_lock(engine, "evaluate:1:2") as first:
            assert first
            with work_lock(other, "evaluate:1:2") as second:
                assert not second
            with work_lock(other, "evaluate:1:3") as another_key:
                assert another_key
        with work_lock(other, "evaluate:1:2") as after:
            assert after
    finally:
        other.dispose()


def test_a_killed_holder_loses_its_lock(engine: Engine, store_url: str) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from lsat_core.store.engine import make_engine\n"
            "from lsat_core.store.work_locks import work_lock\n"
            "with work_lock(make_engine(sys.argv[1]), 'evaluate:7:1') as held:\n"
            "    print(held, flush=True)\n"
            "    time.sleep(600)\n",
            store_url,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "True"
        with work_lock(engine, "evaluate:7:1") as held:
            assert not held
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        # PostgreSQL ends the dead holder's session when it notices the closed socket.
        deadline = time.monotonic() + 10
        while True:
            with work_lock(engine, "evaluate:7:1") as held:
                if held or time.monotonic() > deadline:
                    break
            time.sleep(0.1)
        assert held
    finally:
        if holder.poll() is None:
            holder.kill()
