from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from lsat_core.errors import ConfigError, InputError
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.llm import batching
from lsat_core.llm.adapters import LoraShape
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.scoring import score_prompts
from lsat_core.llm.training import LoraTrainConfig, train_adapter

FAST = LoraTrainConfig(
    learning_rate=1e-2, micro_batch_size=16, accumulation_steps=2, epochs=2, eval_every=2
)


def _val_auc(backbone: Backbone, prompts, labels, adapter=None) -> float:
    return auc_with_ci(labels, score_prompts(backbone, prompts, adapter)).auc


def test_defaults_are_the_reference_settings() -> None:
    config = LoraTrainConfig()
    assert (config.r, config.alpha, config.dropout, config.target_modules) == (
        8,
        16,
        0.05,
        ("q_proj", "v_proj"),
    )
    assert (config.learning_rate, config.batch_size, config.cutoff_len) == (1e-3, 128, 512)
    assert (config.loss, config.patience) == ("whole", 10)


@pytest.mark.parametrize(
    ("loss", "learning_rate", "epochs", "floor"),
    [("answer", 1e-2, 2, 0.95), ("whole", 3e-2, 2, 0.7)],
)
def test_training_on_a_planted_signal_raises_validation_auc(
    tiny_backbone: Backbone, planted, loss: str, learning_rate: float, epochs: int, floor: float
) -> None:
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    config = dataclasses.replace(FAST, loss=loss, learning_rate=learning_rate, epochs=epochs)
    steps: list[tuple[int, int]] = []
    result = train_adapter(
        tiny_backbone,
        train_p,
        train_y,
        val_p,
        val_y,
        config,
        progress=lambda s, t: steps.append((s, t)),
    )
    base_auc = _val_auc(tiny_backbone, val_p, val_y)
    assert result.best_val_auc > max(floor, base_auc + 0.1)
    assert result.start_val_auc is None  # a fresh adapter
    # The returned adapter is the best one seen, and scores as validated.
    assert result.best_val_auc == max(p.auc for p in result.history)
    assert _val_auc(tiny_backbone, val_p, val_y, result.adapter) == pytest.approx(
        result.best_val_auc, abs=1e-9
    )
    # The best validation's scores are kept (proximal's grid judges candidates by them).
    np.testing.assert_allclose(
        result.best_val_scores, score_prompts(tiny_backbone, val_p, result.adapter), atol=1e-6
    )
    total = epochs * 128 // 32
    assert steps == [(s, total) for s in range(1, total + 1)]
    assert [p.step for p in result.history] == list(range(2, total + 1, 2))
    cost = result.cost
    assert (cost.optimizer_steps, cost.samples_trained) == (total, epochs * 128)
    assert cost.device == str(tiny_backbone.device)
    assert cost.tokens_trained > 50 * cost.samples_trained and cost.wall_seconds > 0
    assert result.adapter.provenance["trained_with"]["loss"] == loss


def test_best_checkpoint_is_kept_and_training_stops_after_patience(
    tiny_backbone: Backbone, planted
) -> None:
    # Validation labels inverted: learning the training signal makes validation AUC fall, so
    # the first checkpoint is the best and the last ones are worse.
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    inverted = [1 - y for y in val_y]
    config = dataclasses.replace(FAST, loss="answer", eval_every=1, patience=2, epochs=5)
    result = train_adapter(tiny_backbone, train_p, train_y, val_p, inverted, config)
    assert result.stopped_early and len(result.history) == 3
    assert result.cost.optimizer_steps == 3 and result.best_step == 1
    assert result.history[-1].auc < result.history[0].auc == result.best_val_auc
    assert _val_auc(tiny_backbone, val_p, inverted, result.adapter) == pytest.approx(
        result.history[0].auc, abs=1e-9
    )


def test_fine_tuning_reports_the_starting_adapter_auc_and_is_reproducible(
    tiny_backbone: Backbone, planted, random_adapter
) -> None:
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    start = random_adapter(seed=3, scale=0.05)
    config = dataclasses.replace(FAST, max_steps=2, eval_every=1)
    first = train_adapter(tiny_backbone, train_p, train_y, val_p, val_y, config, init_adapter=start)
    assert first.start_val_auc == pytest.approx(_val_auc(tiny_backbone, val_p, val_y, start))
    assert first.adapter.provenance["init_adapter"] == start.content_hash()
    again = train_adapter(tiny_backbone, train_p, train_y, val_p, val_y, config, init_adapter=start)
    assert again.adapter.content_hash() == first.adapter.content_hash()
    assert first.adapter.content_hash() != start.content_hash()


def test_bad_inputs_are_reported_before_training(tiny_backbone: Backbone, planted, random_adapter):
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    with pytest.raises(InputError, match="single class"):
        train_adapter(tiny_backbone, train_p, train_y, val_p, [1] * len(val_p), FAST)
    with pytest.raises(InputError, match="train_labels: 3 labels for 128 prompts"):
        train_adapter(tiny_backbone, train_p, [0, 1, 1], val_p, val_y, FAST)
    with pytest.raises(InputError, match="no training sample fits in cutoff_len=20"):
        train_adapter(
            tiny_backbone, train_p, train_y, val_p, val_y, dataclasses.replace(FAST, cutoff_len=20)
        )
    wrong_rank = random_adapter(seed=1, shape=LoraShape(r=4))
    with pytest.raises(ConfigError, match="init_adapter has r=4"):
        train_adapter(tiny_backbone, train_p, train_y, val_p, val_y, FAST, init_adapter=wrong_rank)


@pytest.mark.parametrize(
    ("field", "value"),
    [("loss", "hinge"), ("lr_schedule", "cosine"), ("micro_batch_size", 0), ("r", 0)],
)
def test_config_rejects_bad_values_naming_the_field(field: str, value) -> None:
    with pytest.raises(ConfigError, match=field):
        LoraTrainConfig(**{field: value})


def test_too_long_samples_are_dropped_and_counted(tiny_backbone: Backbone, planted) -> None:
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    lengths = np.array([len(tiny_backbone.tokenizer(p)["input_ids"]) for p in train_p[:32]])
    cutoff = int(np.median(lengths)) + 3  # prompt + 2 answer tokens + EOS
    config = dataclasses.replace(FAST, cutoff_len=cutoff, max_steps=1)
    result = train_adapter(tiny_backbone, train_p[:32], train_y[:32], val_p, val_y, config)
    assert result.cost.dropped_too_long == int((lengths + 3 > cutoff).sum()) > 0
    assert result.cost.samples_trained == 32 - result.cost.dropped_too_long


def test_gradient_checkpointing_trains_the_same_adapter(tiny_backbone: Backbone, planted) -> None:
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    config = dataclasses.replace(FAST, max_steps=1, eval_every=1, dropout=0.0)
    plain = train_adapter(tiny_backbone, train_p[:32], train_y[:32], val_p, val_y, config)
    checkpointed = train_adapter(
        tiny_backbone,
        train_p[:32],
        train_y[:32],
        val_p,
        val_y,
        dataclasses.replace(config, gradient_checkpointing=True),
    )
    assert not tiny_backbone.model.is_activation_checkpointing  # switched off again
    for key, value in plain.adapter.weights.items():
        torch.testing.assert_close(checkpointed.adapter.weights[key], value)
    assert any(v.abs().sum() > 0 for k, v in plain.adapter.weights.items() if "lora_B" in k)


@pytest.mark.parametrize("loss", ["whole", "answer"])
def test_length_sorted_micro_batches_give_the_same_step_with_less_padding(
    tiny_backbone: Backbone, planted, monkeypatch: pytest.MonkeyPatch, loss: str
) -> None:
    """The step's loss is normalised by all its loss items, so grouping its samples by length
    changes the padding, not the update."""
    (train_p, train_y), (val_p, val_y) = planted["train"], planted["val"]
    config = dataclasses.replace(
        FAST, loss=loss, micro_batch_size=8, accumulation_steps=4, max_steps=1, dropout=0.0
    )
    run = lambda: train_adapter(tiny_backbone, train_p[:32], train_y[:32], val_p, val_y, config)  # noqa: E731
    grouped = run()
    as_drawn = batching.micro_batches
    monkeypatch.setattr(batching, "micro_batches", lambda idx, _, micro: as_drawn(idx, None, micro))
    shuffled = run()
    for key, value in shuffled.adapter.weights.items():
        torch.testing.assert_close(grouped.adapter.weights[key], value)
    assert any(v.abs().sum() > 0 for k, v in grouped.adapter.weights.items() if "lora_B" in k)
    assert shuffled.cost.padding_saved == 0
    assert grouped.cost.padding_saved == shuffled.cost.padding_tokens - grouped.cost.padding_tokens
    assert grouped.cost.padding_tokens < shuffled.cost.padding_tokens / 2
