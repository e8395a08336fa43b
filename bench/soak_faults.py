"""The fault tests as a soak (issue 15, item 2): every case of tests/faults, N times, each
iteration with its fault at a moment drawn at random, and a table of what passed.

    OMP_NUM_THREADS=1 python bench/soak_faults.py --iterations 20 [--cases broker,database]

It runs tests/faults itself (its fixtures: a private Redis and PostgreSQL, two real workers, the
in-process reference) with LSAT_FAULT_ITERATIONS=N, so the soak checks exactly the invariants
the suite checks: the comparison ends as an undisturbed run, every model trained once, no row
missing or twice, the dashboard reads the true state. It prints, per case, the iterations run,
those passed, and the first error of each failure; with the fault moments drawn and the store
connection events (failed pre-pings, disconnects, programming errors with their statement) the
workers logged, it writes JSON to --out (bench/results/soak_faults.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import lsat_core

REPO_ROOT = Path(__file__).resolve().parents[1]
FAULT_TESTS = REPO_ROOT / "tests" / "faults"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "soak_faults.json"


@dataclass
class Iteration:
    case: str
    iteration: int
    passed: bool
    seconds: float
    first_error: str | None
    load_average: float
    """The machine's 1-minute load when the iteration ended (the machine may be shared)."""
    properties: dict[str, Any] = field(default_factory=dict)


class SoakRecorder:
    """A pytest plugin keeping one `Iteration` per test call (a failed setup counts too), and
    calling `on_iteration` after each (the soak rewrites its JSON: a cut-short soak keeps what
    it ran)."""

    def __init__(self, on_iteration: Callable[[list[Iteration]], None] | None = None) -> None:
        self.iterations: list[Iteration] = []
        self.on_iteration = on_iteration

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown" and self.iterations and report.passed:
            # Properties recorded by fixtures as they end (the store connection events) come
            # with the teardown report only.
            self.iterations[-1].properties.update(dict(report.user_properties))
            self._written()
            return
        failed_outside_call = report.when != "call" and report.failed
        if report.when != "call" and not failed_outside_call:
            return
        name, _, index = report.nodeid.rsplit("::", 1)[-1].partition("[")
        self.iterations.append(
            Iteration(
                case=name.removeprefix("test_"),
                iteration=int(index.rstrip("]") or 0),
                passed=report.passed,
                seconds=round(report.duration, 1),
                first_error=None if report.passed else first_error(report),
                load_average=round(os.getloadavg()[0], 2),
                properties=dict(report.user_properties),
            )
        )
        self._written()

    def _written(self) -> None:
        if self.on_iteration is not None:
            self.on_iteration(self.iterations)


def first_error(report: pytest.TestReport) -> str:
    """The first `E ` line of the failure (pytest's own marker for the exception), else the
    representation's last line."""
    text = str(report.longrepr)
    for line in text.splitlines():
        if line.startswith("E "):
            return f"{report.when}: {line[2:].strip()}"
    return f"{report.when}: {text.strip().splitlines()[-1] if text.strip() else 'failed'}"


def table(iterations: list[Iteration]) -> str:
    by_case: dict[str, list[Iteration]] = defaultdict(list)
    for item in iterations:
        by_case[item.case].append(item)
    rows = ["| case | iterations | passed | failures (first error) |", "| --- | --- | --- | --- |"]
    for case, items in by_case.items():
        failures = "; ".join(
            f"#{item.iteration}: {item.first_error}" for item in items if not item.passed
        )
        passed = sum(item.passed for item in items)
        rows.append(f"| {case} | {len(items)} | {passed} | {failures or '-'} |")
    return "\n".join(rows)


def source_commit() -> str:
    """The commit of the code the soak runs, marked when the tree has uncommitted changes."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "HEAD") + (" (with uncommitted changes)" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20, help="iterations per case")
    parser.add_argument(
        "--cases", default="", help="comma-separated parts of case names (default: all)"
    )
    parser.add_argument("--seed", default=None, help="seed of the fault moments (default: new)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.iterations < 1:
        parser.error("--iterations must be at least 1")

    os.environ["LSAT_FAULT_ITERATIONS"] = str(args.iterations)
    seed = args.seed or str(time.time_ns())
    os.environ["LSAT_FAULT_SEED"] = seed
    pytest_args = ["-q", "-p", "no:cacheprovider", str(FAULT_TESTS)]
    if args.cases:
        pytest_args += ["-k", " or ".join(part.strip() for part in args.cases.split(","))]
    started = time.monotonic()
    report = {
        "command": " ".join(["python", "bench/soak_faults.py", *(argv or sys.argv[1:])]),
        "iterations_per_case": args.iterations,
        "seed": seed,
        "commit": source_commit(),
        "code_from": str(Path(lsat_core.__file__).parent.parent),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
        "cpus": os.cpu_count(),
        "machine": platform.platform(),
    }

    def write(iterations: list[Iteration], exit_code: int | None = None) -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        written = {
            **report,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(time.monotonic() - started, 1),
            "pytest_exit_code": exit_code,
            "load_average_now": [round(load, 2) for load in os.getloadavg()],
            "table": table(iterations),
            "iterations": [asdict(item) for item in iterations],
        }
        args.out.write_text(json.dumps(written, indent=2))

    recorder = SoakRecorder(on_iteration=write)
    exit_code = pytest.main(pytest_args, plugins=[recorder])
    write(recorder.iterations, int(exit_code))

    print(table(recorder.iterations))
    wall = time.monotonic() - started
    print(f"wall time {wall / 60:.1f} min, {args.iterations} iterations per case, seed {seed}")
    print(f"wrote {args.out}")
    return 0 if exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
