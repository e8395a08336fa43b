"""CPU the Run monitor costs while it watches a live experiment, against a reference checkout.

    python bench/monitor_cost.py --store DATA_DIR [--experiment 1] [--reference COMMIT]
        [--window 60] [--out bench/results/monitor_cost.json]

DATA_DIR is the data folder of a finished experiment (for example the quick preset launched from
the Launch page). For this checkout and for a git worktree of --reference, in turn: the folder is
copied without its broker, the experiment is set back to running (so the monitor polls as during
a run), the copy is served by that checkout's own `lsat up`, and headless Chromium opens the Run
monitor on it. After the page has drawn its charts, the CPU seconds of the dashboard server and
of Chromium are summed over --window seconds. The idle worker of `lsat up` is not counted. On a
2-core machine every core-second here is taken from the worker a real run is training on.

Needs Debian's chromium at /usr/bin/chromium (`apt-get install chromium chromium-driver`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User and system time of these processes and of their waited-for children."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # ended inside the window: its time is lost, so the figure is a floor
        total += sum(int(field) for field in fields[11:15])
    return total / TICKS


def pids_of(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def live_copy(store: Path, experiment: int, into: Path) -> Path:
    data = into / "data"
    shutil.copytree(store, data, symlinks=True, ignore=shutil.ignore_patterns("broker"))
    with sqlite3.connect(data / "lsat.db") as db:
        changed = db.execute(
            "UPDATE experiments SET status = 'running', finished_at = NULL WHERE id = ?",
            (experiment,),
        ).rowcount
    if changed != 1:
        raise SystemExit(f"{store / 'lsat.db'}: no experiment {experiment}")
    return data


def measure(checkout: Path, data: Path, experiment: int, window_s: float) -> dict:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSAT_")}
    env |= {"LSAT_DATA_DIR": str(data), "PYTHONPATH": str(checkout)}
    up = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import main; main()", "up", "--port", str(port)],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            url = f"http://127.0.0.1:{port}/monitor?experiment={experiment}"
            for _ in range(120):
                try:
                    page.goto(url)
                    break
                except PlaywrightError:  # the server is not listening yet
                    time.sleep(1)
            expect(page.get_by_role("heading", name="Run monitor")).to_be_visible(timeout=120_000)
            expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible(timeout=120_000)
            page.wait_for_timeout(10_000)  # past the first draw
            server = pids_of(f"streamlit run {checkout}/app/main.py")
            chromium = pids_of("chromium")  # its processes run /usr/lib/chromium/chromium
            start = time.monotonic()
            server_0, chromium_0 = cpu_seconds(server), cpu_seconds(chromium)
            page.wait_for_timeout(window_s * 1000)
            server_s = cpu_seconds(server) - server_0
            chromium_s = cpu_seconds(chromium) - chromium_0
            elapsed = time.monotonic() - start
            browser.close()
    finally:
        os.killpg(up.pid, signal.SIGINT)
        try:
            up.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True, text=True
    ).stdout.strip()
    return {
        "commit": commit,
        "window_s": round(elapsed, 1),
        "server_cpu_s": round(server_s, 2),
        "chromium_cpu_s": round(chromium_s, 2),
        "cores_busy": round((server_s + chromium_s) / elapsed, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--experiment", type=int, default=1)
    parser.add_argument("--reference", default="HEAD~1", help="a commit to measure against")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        reference = work / "reference"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(reference), args.reference],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        try:
            results = {}
            for name, checkout in (("reference", reference), ("this", REPO)):
                data = live_copy(args.store, args.experiment, work / name)
                results[name] = measure(checkout, data, args.experiment, args.window)
                print(name, json.dumps(results[name]), flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(reference)], cwd=REPO)
    report = {
        "command": " ".join(["python", "bench/monitor_cost.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_before": load_before,
        **results,
        "ratio": round(results["this"]["cores_busy"] / results["reference"]["cores_busy"], 3),
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
