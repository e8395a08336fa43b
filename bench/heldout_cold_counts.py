"""How many test samples of D_16..D_20 are cold: cold-warm against held-out-items.

    python bench/heldout_cold_counts.py [--cache-dir DIR] [--held-out 0.2] [--seed 0]

Counts, on ML-1M's 20-period stream, the test samples whose target is not a target of the
whole train_1..train_15 and val_1..val_15 parts (what a classic model on whole periods sees),
once on the stream itself (cold-warm) and once with the held-out-items protocol's withheld share
(docs/method.md section 4).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from lsat_core.data.datasets import load_stream
from lsat_core.data.held_out_items import withhold_items
from lsat_core.data.stream import Stream
from lsat_core.evaluation.protocols import cold_warm_split
from lsat_core.settings import Settings


def seen_targets(stream: Stream, split: int) -> set[str]:
    return set(stream.train_range(1, split)["item"]) | set(stream.val(split)["item"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, help="default: the settings' cache")
    parser.add_argument("--held-out", type=float, default=0.2, help="share of items held out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    stream = load_stream("ml-1m", args.cache_dir or Settings.from_env().cache_dir)
    view = withhold_items(stream, args.held_out, args.seed)
    split = cold_warm_split(stream.num_periods)
    test = pd.concat([stream.test(p) for p in range(split + 1, stream.num_periods + 1)])
    print(f"D_{split + 1}..D_{stream.num_periods}: {len(test):,} test samples")
    for name, source in (("cold-warm", stream), ("held-out-items", view)):
        cold = ~test["item"].isin(seen_targets(source, split))
        liked = int(test.loc[cold, "label"].sum())
        print(f"{name:15} {int(cold.sum()):>7,} cold samples ({liked:,} liked)")
    print(f"withheld: {len(view.withheld)} of {stream.samples['item'].nunique()} target items")


if __name__ == "__main__":
    main()
