"""Smoke test of bench/bench_llm.py on the tiny random LLaMA: every figure is there, and the
reference scorer (full-vocabulary softmax, Trainer.predict) agrees with ours on one adapter."""

from __future__ import annotations

import importlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from tiny_llm import planted_prompts

from lsat_core.engine.experiment_config import SampleBudget
from lsat_core.llm.backbone import load_backbone
from lsat_core.llm.configs import BackboneConfig, LoraTrainConfig

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCH_DIR))
        yield importlib.import_module("bench_llm")


def _data(bench):
    prompts, labels = planted_prompts(28, seed=3)
    return bench.BenchData(
        prompts[:8], labels[:8], prompts[8:16], labels[8:16], prompts[16:], labels[16:]
    )


def test_reference_and_ours_report_every_figure_and_agree(bench, tiny_model_dir, tmp_path):
    backbone = load_backbone(BackboneConfig(name_or_path=str(tiny_model_dir)), tmp_path)
    sizes = bench.Sizes(
        train_samples=8,
        score_samples=12,
        val_samples=8,
        micro_batch_size=2,
        accumulation_steps=2,
        ref_eval_batch=4,
        our_eval_batch=5,
    )
    result = bench.bench_model("smollm2", backbone, _data(bench), sizes)
    result = json.loads(json.dumps(result))  # what --out writes

    assert result["sizes"]["steps"] == 2 and result["parameters"] == backbone.num_parameters
    for side in ("reference", "ours"):
        for part in ("train", "score"):
            figures = result[side][part]
            for name in ("samples_per_s", "samples_per_cpu_s", "tokens_per_s", "seconds"):
                assert figures[name] > 0 and math.isfinite(figures[name]), (side, part, name)
            assert figures["peak_memory"]["bytes"] > 0
        assert result[side]["train"]["timed_steps"] == 1  # step 1 is the warm-up
    assert set(result["speedup"]) == {"train", "score"}
    assert result["targets"]["train"]["wanted"] == 1.5  # the CPU SmolLM2 targets
    assert isinstance(result["targets"]["score"]["met"], bool)
    assert isinstance(result["targets"]["train"]["met_per_cpu_second"], bool)
    assert result["ours"]["train"]["cost"]["samples_trained"] == 8
    # Both scorers read the adapter the reference trained: P(Yes) equal, not just the ranking.
    ref_scores = np.array(result["reference_scores"])
    our_scores = np.array(result["our_scores"])
    assert len(ref_scores) == 12 and np.ptp(our_scores) > 1e-4
    np.testing.assert_allclose(ref_scores, our_scores, atol=1e-5)
    assert result["agreement"]["spearman"] == pytest.approx(1.0)
    # The reference's LoRA layers (PEFT's "default" adapter) were unloaded before ours ran.
    names = [name for name, _ in backbone.model.named_parameters() if "lora_" in name]
    assert names and not any(".default." in name for name in names)


def test_llama_vocab_tokenizer_keeps_ids_below_the_cut(bench, tiny_model_dir):
    full = bench.AutoTokenizer.from_pretrained(tiny_model_dir)
    cut = bench.llama_vocab_tokenizer(tiny_model_dir, vocab_size=300)
    prompt = planted_prompts(1, seed=0)[0][0]
    ids = cut(prompt)["input_ids"]
    assert max(ids) < 300 and len(cut) == 300
    assert len(ids) > len(full(prompt)["input_ids"])  # fewer merges, more tokens
    assert cut.decode(ids) == prompt


def test_update_latency_is_read_back_per_strategy(bench, tiny_model_dir, ml1m_cache):
    latency = bench.update_latency(
        ml1m_cache,
        str(tiny_model_dir),
        "cpu",
        strategies=("short_term", "fine_tune"),
        budget=SampleBudget(train_per_period=8, val_per_period=8, test_per_period=8),
        lora=LoraTrainConfig(micro_batch_size=4, accumulation_steps=1, epochs=1, eval_every=1),
        update_periods=(1,),
    )
    per_strategy = latency["mean_update_latency_seconds"]
    assert set(per_strategy) == {"short_term", "fine_tune"}
    for row in per_strategy.values():
        assert row["updates"] == 1 and row["mean"] > 0
