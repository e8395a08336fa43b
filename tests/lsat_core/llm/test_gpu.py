"""The CUDA path (bf16 weights, fp32 LoRA tensors, bf16 autocast in training) on the tiny model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from lsat_core.llm.backbone import Backbone, BackboneConfig, load_backbone
from lsat_core.llm.scoring import score_prompts
from lsat_core.llm.training import LoraTrainConfig, train_adapter

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
]


def test_cuda_backbone_scores_like_cpu_and_trains(
    tiny_model_dir: Path, tiny_backbone: Backbone, planted, tmp_path: Path
) -> None:
    cuda = load_backbone(BackboneConfig(name_or_path=str(tiny_model_dir)), tmp_path)
    assert cuda.device.type == "cuda" and cuda.dtype == torch.bfloat16
    prompts = planted["val"][0][:16]
    np.testing.assert_allclose(
        score_prompts(cuda, prompts), score_prompts(tiny_backbone, prompts), atol=2e-2
    )
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    config = LoraTrainConfig(
        learning_rate=1e-2, micro_batch_size=16, accumulation_steps=2, epochs=2, eval_every=2
    )
    # The answer loss learns the planted signal within a few steps on CPU (test_training).
    answer = train_adapter(
        cuda, train_p, train_y, val_p, val_y, dataclasses.replace(config, loss="answer")
    )
    assert answer.cost.device.startswith("cuda") and answer.best_val_auc > 0.9
    whole = train_adapter(cuda, train_p, train_y, val_p, val_y, config)
    assert whole.cost.optimizer_steps == 8 and len(whole.history) == 4
    for result in (answer, whole):
        assert all(w.dtype == torch.float32 and w.device.type == "cpu"
                   for w in result.adapter.weights.values())  # fmt: skip
