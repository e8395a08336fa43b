"""A micro-batch's training loss: the whole loss through the shared header's KV cache equals the
plain path's, in loss and update; the answer loss is each sample's, whatever it is batched with."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lsat_core.llm import training_loss
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.batching import tokenize_prompts
from lsat_core.llm.configs import LoraShape
from lsat_core.llm.prefix_cache import MIN_PREFIX_TOKENS, common_prefix_length
from lsat_core.llm.training import LoraTrainConfig, TrainedAdapter, train_adapter
from lsat_core.llm.training_loss import MicroBatchLoss

CONFIG = LoraTrainConfig(
    learning_rate=1e-2,
    micro_batch_size=8,
    accumulation_steps=2,
    eval_every=100,
    dropout=0.0,
    prefix_cache=True,
)


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Every micro-batch's loss, and the header lengths run through the prefix path."""
    seen: dict[str, list] = {"losses": [], "prefixes": []}
    mean_loss, prefix_loss = MicroBatchLoss.__call__, MicroBatchLoss.prefix_whole

    def spy_mean(self, sequences, targets):
        loss = mean_loss(self, sequences, targets)
        seen["losses"].append(loss.item())
        return loss

    def spy_prefix(self, sequences, length):
        seen["prefixes"].append(length)
        return prefix_loss(self, sequences, length)

    monkeypatch.setattr(MicroBatchLoss, "__call__", spy_mean)
    monkeypatch.setattr(MicroBatchLoss, "prefix_whole", spy_prefix)
    return seen


def _train(backbone: Backbone, planted, prompts, config: LoraTrainConfig) -> TrainedAdapter:
    train_y, (val_p, val_y) = planted["train"][1], planted["val"]
    return train_adapter(backbone, prompts, train_y[: len(prompts)], val_p, val_y, config)


def _assert_same_adapter(got: TrainedAdapter, want: TrainedAdapter) -> None:
    assert got.adapter.weights.keys() == want.adapter.weights.keys()
    for key, value in want.adapter.weights.items():
        torch.testing.assert_close(got.adapter.weights[key], value, rtol=0, atol=1e-5)
    # The steps moved the adapter: equal weights are not two untouched zero lora_B.
    assert any(v.abs().sum() > 0 for k, v in want.adapter.weights.items() if "lora_B" in k)


@pytest.mark.parametrize("steps", [1, 2])
def test_prefix_cached_steps_give_the_plain_loss_and_update(
    tiny_backbone: Backbone, planted, spied: dict[str, list], steps: int
) -> None:
    prompts = planted["train"][0][:32]
    config = dataclasses.replace(CONFIG, max_steps=steps)
    plain = _train(tiny_backbone, planted, prompts, dataclasses.replace(config, prefix_cache=False))
    plain_losses = spied["losses"][:]
    assert spied["prefixes"] == []
    cached = _train(tiny_backbone, planted, prompts, config)
    # Two micro-batches of 8 per step, each through its own shared header.
    header = common_prefix_length(tokenize_prompts(tiny_backbone.tokenizer, prompts))
    assert len(spied["prefixes"]) == 2 * steps
    assert all(length >= header >= MIN_PREFIX_TOKENS for length in spied["prefixes"])
    assert spied["losses"][len(plain_losses) :] == pytest.approx(plain_losses, rel=1e-5)
    _assert_same_adapter(cached, plain)
    assert cached.cost.tokens_trained == plain.cost.tokens_trained
    assert cached.cost.padding_tokens == plain.cost.padding_tokens


def test_prompts_sharing_no_header_train_by_the_plain_path(
    tiny_backbone: Backbone, planted, spied: dict[str, list]
) -> None:
    # Each prompt opens with its own word: the tokens shared are too few for a prefix pass.
    prompts = [
        f"{word} {p}"
        for word, p in zip(("Sun", "Moon", "Rain", "Star"), planted["train"][0], strict=False)
    ]
    ids = tokenize_prompts(tiny_backbone.tokenizer, prompts)
    assert common_prefix_length(ids) < MIN_PREFIX_TOKENS
    config = dataclasses.replace(CONFIG, micro_batch_size=4, accumulation_steps=1, max_steps=1)
    result = _train(tiny_backbone, planted, prompts, config)
    assert spied["prefixes"] == [] and len(spied["losses"]) == 1
    assert any(v.abs().sum() > 0 for k, v in result.adapter.weights.items() if "lora_B" in k)


def test_a_model_whose_cache_does_not_qualify_falls_back_once(
    tiny_backbone: Backbone, planted, spied: dict[str, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = planted["train"][0][:32]
    config = dataclasses.replace(CONFIG, max_steps=1)
    plain = _train(tiny_backbone, planted, prompts, dataclasses.replace(config, prefix_cache=False))
    monkeypatch.setattr(training_loss, "cache_layers", lambda cache: None)  # as for sliding windows
    fallen_back = _train(tiny_backbone, planted, prompts, config)
    assert len(spied["prefixes"]) == 1  # tried on the first micro-batch only
    assert spied["losses"][2:] == pytest.approx(spied["losses"][:2], rel=1e-6)
    _assert_same_adapter(fallen_back, plain)


def test_gradient_checkpointing_and_the_answer_loss_keep_the_plain_path(
    tiny_backbone: Backbone, planted, spied: dict[str, list]
) -> None:
    prompts = planted["train"][0][:16]
    for change in ({"gradient_checkpointing": True}, {"loss": "answer"}):
        config = dataclasses.replace(CONFIG, max_steps=1, accumulation_steps=1, **change)
        _train(tiny_backbone, planted, prompts, config)
    assert spied["prefixes"] == [] and len(spied["losses"]) == 2  # one micro-batch each


@pytest.fixture
def lora_model(tiny_backbone: Backbone, random_adapter):
    """The tiny backbone with a random (non-zero) adapter whose tensors take gradients."""
    shape = LoraShape(dropout=0.0)
    host = tiny_backbone.host
    host.put(shape, random_adapter(7, shape).weights)
    params = host.trainable(shape, on=True)
    yield host.peft_model, params
    host.trainable(shape, on=False)


def _loss_and_grads(loss: MicroBatchLoss, params, sequences, targets):
    for param in params:
        param.grad = None
    value = loss(sequences, targets)
    value.backward()
    return value.item(), [param.grad.clone() for param in params]


def test_the_prefix_path_gives_the_plain_whole_loss_and_gradient(
    tiny_backbone: Backbone, planted, lora_model
) -> None:
    model, params = lora_model
    sequences = tokenize_prompts(tiny_backbone.tokenizer, planted["train"][0][:6])
    assert common_prefix_length(sequences) >= MIN_PREFIX_TOKENS
    targets = [0] * len(sequences)
    make = lambda prefix: MicroBatchLoss(  # noqa: E731
        model, tiny_backbone.pad_id, tiny_backbone.device, "whole", prefix_cache=prefix
    )
    cached, plain = make(True), make(False)
    want_loss, want_grads = _loss_and_grads(plain, params, sequences, targets)
    got_loss, got_grads = _loss_and_grads(cached, params, sequences, targets)
    assert cached.use_prefix and got_loss == pytest.approx(want_loss, rel=1e-5)
    for got, want in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)
    assert cached.items(sequences) == sum(len(seq) - 1 for seq in sequences)


def test_the_answer_loss_is_the_mean_of_each_samples_own(
    tiny_backbone: Backbone, planted, lora_model
) -> None:
    """Left padding and positions counted from each prompt's first token: a prompt batched
    with longer ones has the loss it has alone."""
    model, _ = lora_model
    prompts = tokenize_prompts(tiny_backbone.tokenizer, planted["train"][0][:4])
    assert len({len(p) for p in prompts}) > 1
    answers = tiny_backbone.answers
    targets = [answers.yes_id, answers.no_id, answers.no_id, answers.yes_id]
    loss = MicroBatchLoss(
        model, tiny_backbone.pad_id, tiny_backbone.device, "answer", prefix_cache=True
    )
    with torch.no_grad():
        batched = loss(prompts, targets).item()
        alone = [loss([p], [t]).item() for p, t in zip(prompts, targets, strict=True)]
    assert batched == pytest.approx(sum(alone) / len(alone), rel=1e-5)
    assert not loss.use_prefix and loss.items(prompts) == len(prompts)
