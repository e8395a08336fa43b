"""The load bench end to end on a small load: two comparisons on two real workers (Redis, a
PostgreSQL schema), the pages timed meanwhile, and its report read back from --out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

REPO_ROOT = Path(__file__).resolve().parents[2]
BROKER_DB = 11
"""A Redis database of the smoke test's own (the bench flushes it), apart from the tests' 13 and
15 and the bench's default 12."""

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres, pytest.mark.timeout(400)]


def test_two_comparisons_drain_without_duplicates_and_the_pages_render(
    postgres_url: str, redis_url: str, tiny_model_dir: Path, ml1m_cache: Path, tmp_path: Path
) -> None:
    broker = redis_url.rstrip("/").rsplit("/", 1)[0] + f"/{BROKER_DB}"
    out = tmp_path / "load.json"
    argv = [sys.executable, str(REPO_ROOT / "bench" / "bench_load.py")]
    argv += [
        "--comparisons",
        "2",
        "--update-periods",
        "1",
        "--timeout",
        "240",
        "--page-interval",
        "3",
    ]
    argv += ["--broker-url", broker, "--database-url", postgres_url]
    argv += ["--backbone", str(tiny_model_dir), "--cache-from", str(ml1m_cache)]
    argv += ["--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=380)

    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["drained"] and report["drain_seconds"] < 240
    assert list(report["statuses"].values()) == ["succeeded", "succeeded"]
    # Both share the seed-0 adapters full@1, short@1, short@2: trained once, found by the other.
    assert report["runs"] == 4
    assert report["tasks"]["trainings finished"] > report["tasks"]["of which already trained"] > 0
    assert set(report["duplicates"].values()) == {0}
    assert report["queue_length_after"] == 0
    assert report["page_rounds"] >= 1 and report["page_errors"] == {}
    assert set(report["pages"]) == {
        "replay.py",
        "launch.py",
        "monitor.py",
        "compare.py",
        "cold_warm.py",
    }
    assert "queue drained:" in done.stdout and "FAILED" not in done.stdout
    # The bench empties its Redis database when it ends.
    assert redis.Redis.from_url(broker).dbsize() == 0
