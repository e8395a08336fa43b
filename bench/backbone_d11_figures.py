"""A registered backbone's first figures on a CPU (docs/method.md section 7): the untuned model's
AUC on a sample of D_11's test part, one short-term LoRA trained on a sample of D_10 (validated
on a sample of val_10), its AUC on the same D_11 sample, and the time of each step.

    python bench/backbone_d11_figures.py [--backbone gemma3-270m] [--train 32] [--val 16]
        [--test 96] [--threads 2] [--cache-dir DIR]

The samples are drawn as an experiment's budget draws them (seed 0); the LoRA settings are the
quick preset's (micro-batch 8 x 2, one epoch, validated every 4 steps and after the last).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from lsat_core.data.datasets import load_stream
from lsat_core.data.prompts import build_prompts
from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.engine.sample_sets import SampleSet, period_part
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.llm.backbone import BackboneConfig, load_backbone
from lsat_core.llm.scoring import score_prompts
from lsat_core.llm.training import LoraTrainConfig, train_adapter
from lsat_core.settings import Settings

LORA = LoraTrainConfig(
    micro_batch_size=8, accumulation_steps=2, epochs=1, eval_every=4, eval_batch_size=16
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="gemma3-270m")
    parser.add_argument("--train", type=int, default=32)
    parser.add_argument("--val", type=int, default=16)
    parser.add_argument("--test", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache-dir", type=Path, help="default: the settings' cache")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cache = args.cache_dir or Settings.from_env().cache_dir
    stream = load_stream("ml-1m", cache)
    budget = SampleBudget(
        train_per_period=args.train, val_per_period=args.val, test_per_period=args.test
    )
    train, val, test = (
        period_part(stream, budget, period, part)
        for period, part in ((10, "train"), (10, "val"), (11, "test"))
    )

    def prompts(samples: SampleSet) -> list[str]:
        return build_prompts(samples.frame, stream.titles, stream.noun)

    started = time.perf_counter()
    backbone = load_backbone(BackboneConfig(name_or_path=args.backbone, device="cpu"), cache)
    print(f"load {time.perf_counter() - started:.1f} s, {backbone.num_parameters:,} parameters")
    started = time.perf_counter()
    untuned = score_prompts(backbone, prompts(test), None, batch_size=16)
    print(
        f"untuned: AUC {auc_with_ci(test.labels, untuned).auc:.3f} on {len(test)} samples of "
        f"D_11 in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    trained = train_adapter(backbone, prompts(train), train.labels, prompts(val), val.labels, LORA)
    print(
        f"short-term LoRA on {len(train)} samples of D_10 ({len(val)} validation, "
        f"{trained.cost.optimizer_steps} steps): {time.perf_counter() - started:.1f} s, "
        f"best validation AUC {trained.best_val_auc:.3f}"
    )
    started = time.perf_counter()
    tuned = score_prompts(backbone, prompts(test), trained.adapter, batch_size=16)
    print(
        f"tuned: AUC {auc_with_ci(test.labels, tuned).auc:.3f} on the same D_11 samples in "
        f"{time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
