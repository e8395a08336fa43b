"""Cold-item AUC of the classic baselines on a sample large enough to read.

    python bench/bench_heldout_items.py [--models mf,deepmusic,sasrec] [--cache-dir DIR]
                                        [--held-out 0.2] [--seed 0]

In the cold-warm protocol on ML-1M (trained on D_1..D_15, tested on D_16..D_20) only about 150
of the 50,000 test samples have a cold target: their AUCs carry intervals of +-0.09. Here a
random share of the items (--held-out) is removed as targets from the training data of full
retraining at 15 (train_1..train_15 plus val_1..val_14, validated on val_15), so about 10,000
test samples of D_16..D_20 have a target the model never saw. Each model is fitted once with the
default ClassicTrainConfig on one thread; the script prints AUC with its DeLong interval on
held-out and seen targets, and, for reference, the AUC of the share of liked items in the
sample's ten-item history, a score that knows nothing of the target.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.registry import BASELINES, build_baseline
from lsat_core.baselines.text_features import title_embeddings
from lsat_core.data.datasets import load_stream
from lsat_core.data.schema import POSITIVE_THRESHOLD
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.evaluation.protocols import cold_warm_split
from lsat_core.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(BASELINES))
    parser.add_argument("--cache-dir", type=Path, help="default: the settings' cache")
    parser.add_argument("--held-out", type=float, default=0.2, help="share of items held out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    cache_dir = args.cache_dir or Settings.from_env().cache_dir
    stream = load_stream("ml-1m", cache_dir)
    split = cold_warm_split(stream.num_periods)
    items = np.sort(stream.items["item"].unique())
    rng = np.random.default_rng(args.seed)
    held = set(rng.choice(items, size=int(len(items) * args.held_out), replace=False))
    train, val = stream.train_range(1, split), stream.val(split)
    train, val = train[~train["item"].isin(held)], val[~val["item"].isin(held)]
    test = pd.concat([stream.test(p) for p in range(split + 1, stream.num_periods + 1)])
    cold = test["item"].isin(held).to_numpy()
    labels = test["label"].to_numpy()
    features = title_embeddings(stream.items, cache_dir)
    print(
        f"train {len(train):,}, val {len(val):,}, test {len(test):,} of which {cold.sum():,} "
        f"have a held-out target ({len(held)} of {len(items)} items held out)"
    )
    liked = np.array([np.mean(np.asarray(r) > POSITIVE_THRESHOLD) for r in test["hist_ratings"]])
    print(f"{'history like-rate':18} {'':9} | {segments(labels, liked, cold)}")
    for name in args.models.split(","):
        model = build_baseline(name, text_features=features)
        started = time.process_time()
        fit = model.fit(train, val, ClassicTrainConfig(), device="cpu")
        scores = model.score(test)
        cpu = time.process_time() - started
        print(
            f"{name:18} val {fit.best_val_auc:.3f} | {segments(labels, scores, cold)} | "
            f"cpu {cpu:.0f} s",
            flush=True,
        )


def segments(labels: np.ndarray, scores: np.ndarray, cold: np.ndarray) -> str:
    parts = []
    for name, mask in (("held-out", cold), ("seen", ~cold)):
        auc = auc_with_ci(labels[mask], scores[mask])
        parts.append(f"{name} {auc.auc:.4f} [{auc.ci_low:.3f}, {auc.ci_high:.3f}]")
    return " | ".join(parts)


if __name__ == "__main__":
    main()
