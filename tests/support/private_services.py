"""A private Redis and a private PostgreSQL cluster on loopback that tests crash and restart at
will, so the shared services other tests use at the same time are never touched.

Redis runs with its append-only file on, fsynced on every write (what a restart keeps);
PostgreSQL is a cluster of its own from `initdb`, run as the `postgres` OS user (it refuses to
run as root), with trust authentication on 127.0.0.1.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import redis
from live_workers import Cluster, wait_until

PG_BIN = max(glob("/usr/lib/postgresql/*/bin"), default=None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """`redis-server` on a free loopback port; `crash` kills it (SIGKILL), `start` brings it
    back on the same port with the same append-only file (fsynced on every write)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        server = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        aof = ["--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory)]
        self.process = subprocess.Popen(
            [*server, *aof],
            stdout=(self.directory / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url)
        wait_until(lambda: _answers(client), 30, "the private Redis to answer")

    def crash(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process = None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb) on a free loopback port."""

    def __init__(self) -> None:
        assert PG_BIN is not None
        # Not under pytest's temporary folder: the postgres user cannot enter root's.
        self.root = Path(tempfile.mkdtemp(prefix="lsat-faults-pg-"))
        shutil.chown(self.root, "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres(
            "initdb", "-D", "data", "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"
        )

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{PG_BIN}/{tool}", *args],
            cwd=self.root,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres("pg_ctl", "-D", "data", "-l", "log", "-w", "-o", options, "start")

    def crash(self) -> None:
        """Stop at once, as a crash would: every connection drops, no clean shutdown."""
        self._as_postgres("pg_ctl", "-D", "data", "-w", "-m", "immediate", "stop")

    def remove(self) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D", "data", "stop"],
            cwd=self.root,
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class FaultyCluster(Cluster):
    broker: PrivateRedis
    database: PrivatePostgres
