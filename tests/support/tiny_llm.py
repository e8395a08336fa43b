"""A tiny random-weight LLaMA with a byte-level BPE tokenizer trained on the spot, so fast tests
of anything that drives an LLM need no download; the real SmolLM2 is exercised by slow tests."""

from __future__ import annotations

import random
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from lsat_core.data.prompts import build_prompt
from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.engine.presets import preset_config
from lsat_core.llm.configs import BackboneConfig, LoraTrainConfig

WORDS = ("River", "Stone", "Night", "Fire", "Rain", "Star", "Wind", "Glass", "Storm", "Field")
SIGNAL = {"Sun": 1, "Moon": 0}
"""The planted signal: the first word of the target title decides the label."""


def planted_prompts(n: int, seed: int) -> tuple[list[str], list[int]]:
    """Prompts whose label is readable from the first word of every title in them: a signal
    spread over many positions, which a tiny random model learns in a few steps."""
    rng = random.Random(seed)
    prompts, labels = [], []
    for _ in range(n):
        first = rng.choice(sorted(SIGNAL))
        target = f"{first} {rng.choice(WORDS)} ({rng.randint(1950, 2000)})"
        history = [f"{first} {rng.choice(WORDS)}" for _ in range(rng.randint(3, 6))]
        liked = [t for t in history if rng.random() < 0.5]
        disliked = [t for t in history if t not in liked]
        prompts.append(build_prompt(liked, disliked, target, rng.choice(("movie", "book"))))
        labels.append(SIGNAL[first])
    return prompts, labels


def tiny_tokenizer(corpus: list[str]) -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=["<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(corpus, trainer)
    # No pad token on purpose, as SmolLM2's tokenizer may have none.
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>")


def save_tiny_model(folder: Path, tokenizer: PreTrainedTokenizerFast, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_model(folder: Path) -> Path:
    """A tiny model folder loadable with `BackboneConfig(name_or_path=str(folder))`."""
    corpus, _ = planted_prompts(300, seed=99)
    corpus += [p + answer for p in corpus[:50] for answer in ("Yes.", "No.")]
    return save_tiny_model(folder, tiny_tokenizer(corpus))


TINY_LORA = LoraTrainConfig(
    micro_batch_size=8, accumulation_steps=1, epochs=1, eval_every=1, eval_batch_size=16
)
TINY_BUDGET = SampleBudget(train_per_period=16, val_per_period=16, test_per_period=24)


def tiny_experiment(
    model_dir: Path, strategies: tuple[str, ...], **overrides: object
) -> ExperimentConfig:
    """A quick-preset experiment on the real ML-1M stream driven by the tiny LLM: tiny budgets,
    one-epoch LoRAs validated every step, m = 2, updates at t = 2 and 3."""
    values = {
        "backbone": BackboneConfig(name_or_path=str(model_dir)),
        "budget": TINY_BUDGET,
        "lora": TINY_LORA,
        "long_term_period": 2,
        "update_periods": (2, 3),
        **overrides,
    }
    return preset_config("quick", strategies, **values)
