"""How much a little CPU taken by another process slows the worker's scoring on this machine.

    python bench/contention.py [--samples 128] [--loads 0,0.18,0,0.18,0.36] [--threads 2]
        [--out bench/results/contention.json]

The real SmolLM2-135M scores the same ML-1M test prompts of D_3 (batches of 16, as the quick
preset), alone and beside a process that is busy for a share of every 140 ms (the --loads, in
cores, in the order given, so idle and loaded runs alternate; watching a run on the Run monitor
costs about 0.07-0.12 cores, bench/results/monitor_cost.json). Each scoring runs in a fresh
process with --threads torch threads. The slowdown of each row is against the mean of the idle
rows: what a page that watches a run costs the run it watches (app/views/monitor.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

PERIOD_S = 0.14
"""One cycle of the background load: busy for load x PERIOD_S, then asleep."""


def score_once(samples: int, threads: int) -> float:
    """Seconds to score `samples` prompts of D_3 (after a warm-up batch), in this process."""
    import torch

    from lsat_core.data.datasets import load_stream
    from lsat_core.data.prompts import build_prompts
    from lsat_core.llm.backbone import load_backbone
    from lsat_core.llm.configs import BackboneConfig
    from lsat_core.llm.scoring import score_prompts
    from lsat_core.settings import Settings

    torch.set_num_threads(threads)
    cache = Settings.from_env().cache_dir
    stream = load_stream("ml-1m", cache)
    test = stream.test(3).sample(n=samples, random_state=0)
    prompts = build_prompts(test, stream.titles, stream.noun)
    backbone = load_backbone(BackboneConfig(device="cpu"), cache)
    score_prompts(backbone, prompts[:16], batch_size=16)
    start = time.perf_counter()
    score_prompts(backbone, prompts, batch_size=16)
    return time.perf_counter() - start


def busy_loop(load: float) -> None:
    while True:
        start = time.perf_counter()
        while time.perf_counter() - start < load * PERIOD_S:
            pass
        time.sleep((1 - load) * PERIOD_S)


def measure(samples: int, threads: int, load: float) -> float:
    burner = None
    if load > 0:
        burner = subprocess.Popen([sys.executable, __file__, "--burn", str(load)])
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--score", str(samples), "--threads", str(threads)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        if burner is not None:
            burner.kill()
            burner.wait()
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--loads", default="0,0.18,0,0.18,0.36")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--score", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--burn", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.burn is not None:
        busy_loop(args.burn)
    if args.score is not None:
        print(score_once(args.score, args.threads))
        return
    loads = [float(x) for x in args.loads.split(",")]
    load_before = os.getloadavg()[0]
    timed: list[tuple[float, float]] = []
    for load in loads:
        timed.append((load, measure(args.samples, args.threads, load)))
        print(json.dumps({"load_cores": load, "seconds": round(timed[-1][1], 2)}), flush=True)
    idle = [seconds for load, seconds in timed if load == 0]
    mean_idle = sum(idle) / len(idle) if idle else None
    rows = [
        {
            "load_cores": load,
            "seconds": round(seconds, 2),
            "slowdown": round(seconds / mean_idle - 1, 3) if mean_idle else None,
        }
        for load, seconds in timed
    ]
    report = {
        "command": " ".join(["python", "bench/contention.py", *sys.argv[1:]]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_before": load_before,
        "samples": args.samples,
        "threads": args.threads,
        "rows": rows,
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
