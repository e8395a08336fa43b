"""How long the `paper` preset's next-period comparison takes, from its planned work and rates.

    python bench/estimate_paper_run.py [--strategies full_retrain,fine_tune,lsat_en,lsat_ta]
        [--bench-json bench/results/llm-cuda.json] [--json OUT]

The work is what the launch form's estimate counts (app/work_estimate.py, checked against the
engine's work plan by tests/app/test_work_estimate.py) on the real ML-1M stream: LoRA adapters to
train (shared ones once), samples trained over all epochs, and prompts scored (validations while
training, coefficient searches, tests). It is an upper bound: early stopping ends training sooner.
Time = samples / training rate + prompts / scoring rate, at three sets of rates: docs/method.md
section 8's measured H200 anchors for the reference loop and for a plain PyTorch loop, and the rates
of our path read from a `bench/bench_llm.py` JSON when one is given (e.g. from a GPU run).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.work_estimate import PeriodSize, Rates, estimate_work
from lsat_core.data.datasets import load_stream
from lsat_core.data.stats import period_stats
from lsat_core.runner.options import build_config
from lsat_core.settings import Settings

# The H200 anchors of docs/method.md section 8 (samples/s): the reference Trainer loop on
# SmolLM2's shape, and the real SmolLM2 in a plain PyTorch loop.
H200_ANCHOR_RATES = (
    Rates("H200, reference Trainer loop", 220.0, 104.0, "docs/method.md section 8"),
    Rates("H200, plain PyTorch loop", 3254.0, 261.0, "docs/method.md section 8"),
)
TARGET_HOURS = 1.0


def bench_rates(path: Path) -> Rates:
    """Our path's rates from a bench_llm.py result file (its SmolLM2 entry)."""
    figures = json.loads(path.read_text())
    smollm2 = next(m for m in figures["models"] if m["model"] == "smollm2")
    return Rates(
        f"{smollm2['device']}, our path",
        smollm2["ours"]["score"]["samples_per_s"],
        smollm2["ours"]["train"]["samples_per_s"],
        str(path),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strategies", default="full_retrain,fine_tune,lsat_en,lsat_ta")
    parser.add_argument("--dataset", default="ml-1m")
    parser.add_argument("--bench-json", type=Path, help="a bench/bench_llm.py result (our rates)")
    parser.add_argument("--cache-dir", type=Path, help="default: the settings' cache dir")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    config = build_config(
        strategies=args.strategies, dataset=args.dataset, protocol="next-period", preset="paper"
    )
    stream = load_stream(args.dataset, args.cache_dir or Settings.from_env().cache_dir)
    sizes = {
        int(row.period): PeriodSize(int(row.train), int(row.val), int(row.samples))
        for row in period_stats(stream).itertuples()
    }
    work = estimate_work(config, sizes)
    rates = [*H200_ANCHOR_RATES, *([bench_rates(args.bench_json)] if args.bench_json else [])]
    hours = {r.hardware: (work.seconds(r) or float("nan")) / 3600 for r in rates}

    print(f"paper preset, next-period, {args.dataset}: {', '.join(config.strategies)}")
    print(f"  LoRA adapters to train   {work.llm_models}")
    print(f"  samples trained (bound)  {work.samples_trained:,}")
    print(f"  prompts scored (bound)   {work.prompts_scored:,}")
    for rate in rates:
        print(
            f"  {rate.hardware:<32} {rate.samples_trained_per_second:>8.1f} train/s "
            f"{rate.prompts_per_second:>8.1f} score/s  ->  {hours[rate.hardware]:6.2f} h "
            f"(target < {TARGET_HOURS:g} h; rates: {rate.source})"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "strategies": list(config.strategies),
                    "llm_models": work.llm_models,
                    "samples_trained": work.samples_trained,
                    "prompts_scored": work.prompts_scored,
                    "hours": hours,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
