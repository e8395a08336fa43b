"""Train a LoRA adapter on a frozen backbone, early-stopped on validation AUC (docs/method.md 2.3).

Follows the reference loop (TianhaoShi2001/LSAT `train.py`: Hugging Face `Trainer`, r 8, alpha 16,
dropout 0.05 on q_proj/v_proj, AdamW at 1e-3, micro-batch 32 x 4, cutoff 512, the answer followed
by EOS, evaluation every `eval_step` optimizer steps, `EarlyStoppingCallback`, best checkpoint
loaded at the end) in a plain PyTorch loop. Where it departs, the field's help says so.

A sequence longer than the cutoff is dropped rather than truncated: truncation would cut off the
answer it is trained on (the reference drops such samples too, in `utils.select_data`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import PreTrainedModel

from lsat_core.configs import config_to_dict
from lsat_core.curve_points import CurveKind, CurvePoint, CurveSink, no_curve
from lsat_core.errors import ConfigError, InputError
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.llm.adapters import Adapter
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.batching import PaddingTally, tokenize_prompts
from lsat_core.llm.configs import LoraShape, LoraTrainConfig
from lsat_core.llm.scoring import ProgressCallback, score_with_model
from lsat_core.llm.training_loss import MicroBatchLoss


@dataclass(frozen=True)
class ValidationPoint:
    step: int
    """Optimizer steps done when validated."""
    auc: float


@dataclass(frozen=True)
class AdapterTrainingCost:
    samples_trained: int
    """Sample passes (a sample seen in two epochs counts twice)."""
    tokens_trained: int
    """Tokens of the samples trained on, padding and validation excluded (a shared header run
    once per micro-batch through the prefix cache still counts once per sample)."""
    optimizer_steps: int
    wall_seconds: float
    """Whole call, validations included."""
    device: str
    dropped_too_long: int
    """Training samples longer than cutoff_len, not trained on."""
    padding_tokens: int = 0
    """Padding positions fed forward in training (micro-batches cut from length-sorted steps)."""
    padding_saved: int = 0
    """Padding positions that cutting each step's samples in shuffled order would have added."""


@dataclass(frozen=True, eq=False)
class TrainedAdapter:
    adapter: Adapter
    """The best adapter seen at a validation (not necessarily the last one)."""
    best_val_auc: float
    best_val_scores: np.ndarray = field(repr=False)
    """P(Yes) of each validation sample at the best validation (what `best_val_auc` is of)."""
    best_step: int
    start_val_auc: float | None
    """Validation AUC of `init_adapter` before any training; None for a fresh adapter."""
    history: tuple[ValidationPoint, ...]
    stopped_early: bool
    cost: AdapterTrainingCost
    config: LoraTrainConfig = field(repr=False)


def train_adapter(
    backbone: Backbone,
    train_prompts: Sequence[str],
    train_labels: Sequence[int] | np.ndarray,
    val_prompts: Sequence[str],
    val_labels: Sequence[int] | np.ndarray,
    config: LoraTrainConfig,
    init_adapter: Adapter | None = None,
    progress: ProgressCallback | None = None,
    proximal_coefficient: float = 0.0,
    curve: CurveSink = no_curve,
    known_start_val_auc: float | None = None,
) -> TrainedAdapter:
    """Train a LoRA adapter (a fresh one, or `init_adapter` further) on prompts with binary labels,
    validating on the val set every `config.eval_every` steps; returns the best one seen.

    `proximal_coefficient` mu > 0 (with `init_adapter`) adds mu / 2 * ||theta - theta_init||^2
    over the LoRA tensors to every step's loss: proximal fine-tuning (docs/method.md section 3).
    `progress(step, total_steps)` is called after every optimizer step, `curve` with each
    step's training loss and each validation's AUC (step 0: `init_adapter`'s).
    `known_start_val_auc`: `init_adapter`'s validation AUC on these val prompts when already
    known (a proximal grid's candidates all start from one adapter), so it is not validated
    again; scoring reads no random state, so the run is the same as one that validates it.
    """
    started = time.perf_counter()
    y_train = _binary_labels(train_labels, len(train_prompts), "train_labels")
    y_val = _binary_labels(val_labels, len(val_prompts), "val_labels")
    if y_val.min() == y_val.max():
        raise InputError(
            "validation labels hold a single class; AUC is undefined", where="val_labels"
        )
    examples = _training_examples(backbone, train_prompts, y_train, config)
    if not examples.sequences:
        raise InputError(
            f"no training sample fits in cutoff_len={config.cutoff_len} tokens",
            where="train_prompts",
        )
    if proximal_coefficient < 0 or (proximal_coefficient > 0 and init_adapter is None):
        raise ConfigError(
            f"must be >= 0, and > 0 only with an adapter to pull toward, got "
            f"{proximal_coefficient!r}",
            where="proximal_coefficient",
        )
    if known_start_val_auc is not None and init_adapter is None:
        raise ConfigError(
            "a start validation is known only for an adapter to start from",
            where="known_start_val_auc",
        )
    shape = config.shape
    host = backbone.host
    if init_adapter is None:
        host.reset(shape, config.seed)
    else:
        _check_init_shape(init_adapter.shape, shape)
        host.put(shape, init_adapter.weights)
    model = host.peft_model
    assert model is not None  # reset/put created it

    def validate() -> tuple[float, np.ndarray]:
        scores = score_with_model(model, backbone, val_prompts, batch_size=config.eval_batch_size)
        auc = auc_with_ci(y_val, scores).auc
        assert auc is not None  # both classes were checked above
        return auc, scores

    start_val_auc = known_start_val_auc
    if init_adapter is not None and start_val_auc is None:
        start_val_auc = validate()[0]
    if start_val_auc is not None:
        curve(CurvePoint(CurveKind.VAL_AUC, 0, 0, start_val_auc))
    loop, best = _run_steps(
        backbone, model, config, examples, validate, progress, proximal_coefficient, curve
    )
    assert best.weights is not None and best.scores is not None  # the last step is validated
    adapter = Adapter(
        shape=shape,
        weights=best.weights,
        provenance={
            "trained_with": config_to_dict(config),
            "backbone": backbone.name,
            "best_step": best.step,
            "best_val_auc": best.auc,
            "init_adapter": init_adapter.content_hash() if init_adapter is not None else None,
            **({"proximal_coefficient": proximal_coefficient} if proximal_coefficient else {}),
        },
    )
    cost = AdapterTrainingCost(
        samples_trained=loop.samples,
        tokens_trained=loop.tokens,
        optimizer_steps=loop.steps_done,
        wall_seconds=time.perf_counter() - started,
        device=_device_name(backbone.device),
        dropped_too_long=examples.dropped,
        padding_tokens=loop.padding.fed,
        padding_saved=loop.padding.saved,
    )
    return TrainedAdapter(
        adapter=adapter,
        best_val_auc=best.auc,
        best_val_scores=best.scores,
        best_step=best.step,
        start_val_auc=start_val_auc,
        history=tuple(best.history),
        stopped_early=best.stop,
        cost=cost,
        config=config,
    )


def _run_steps(
    backbone: Backbone,
    model: torch.nn.Module,
    config: LoraTrainConfig,
    examples: _Examples,
    validate: Callable[[], tuple[float, np.ndarray]],
    progress: ProgressCallback | None,
    proximal_coefficient: float,
    curve: CurveSink,
) -> tuple[_Loop, _BestSoFar]:
    """The training loop proper: epochs of shuffled batches, validation, early stopping."""
    total_steps = math.ceil(len(examples.sequences) / config.batch_size) * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    host, shape = backbone.host, config.shape
    torch.manual_seed(config.seed)  # LoRA dropout
    params = host.trainable(shape, on=True)
    loop = _Loop(backbone, model, config, examples, params, total_steps, proximal_coefficient)
    best = _BestSoFar(patience=config.patience)
    if config.gradient_checkpointing:
        _set_checkpointing(backbone.model, on=True)
    try:
        rng = np.random.default_rng(config.seed)
        while loop.steps_done < total_steps and not best.stop:
            order = rng.permutation(len(examples.sequences))  # reference: shuffled every epoch
            for start in range(0, len(order), config.batch_size):
                step = loop.step(order[start : start + config.batch_size])
                if progress is not None:
                    progress(step, total_steps)
                curve(CurvePoint(CurveKind.TRAIN_LOSS, step, loop.samples, loop.last_loss))
                if step % config.eval_every == 0 or step == total_steps:
                    auc, scores = validate()
                    best.record(step, auc, scores, lambda: host.weights(shape))
                    curve(CurvePoint(CurveKind.VAL_AUC, step, loop.samples, auc, best.step == step))
                if step == total_steps or best.stop:
                    break
    finally:
        if config.gradient_checkpointing:
            _set_checkpointing(backbone.model, on=False)
        host.trainable(shape, on=False)
        model.eval()
    return loop, best


@dataclass(frozen=True)
class _Examples:
    sequences: list[list[int]]
    """whole loss: prompt + answer + EOS; answer loss: the prompt only."""
    targets: list[int]
    """The answer's first token id per sequence (used by the answer loss)."""
    dropped: int


def _training_examples(
    backbone: Backbone, prompts: Sequence[str], labels: np.ndarray, config: LoraTrainConfig
) -> _Examples:
    """Tokenized training samples. The answer tokens are the ones located after the prompt
    (`answer_tokens`), so training teaches exactly the token that scoring reads."""
    answers, eos = backbone.answers, backbone.eos_id
    tail = (eos,) if eos is not None else ()
    sequences, targets, dropped = [], [], 0
    for prompt_ids, label in zip(
        tokenize_prompts(backbone.tokenizer, prompts), labels, strict=True
    ):
        full = [*prompt_ids, *answers.continuation(label), *tail]
        if len(full) > config.cutoff_len:
            dropped += 1
            continue
        sequences.append(full if config.loss == "whole" else list(prompt_ids))
        targets.append(answers.yes_id if label == 1 else answers.no_id)
    return _Examples(sequences=sequences, targets=targets, dropped=dropped)


@dataclass
class _BestSoFar:
    """Early stopping as the Trainer's EarlyStoppingCallback (threshold 0) with
    load_best_model_at_end: only a strictly better AUC is a new best."""

    patience: int
    auc: float = -math.inf
    step: int = 0
    weights: dict[str, torch.Tensor] | None = None
    scores: np.ndarray | None = None
    bad_evals: int = 0
    stop: bool = False
    history: list[ValidationPoint] = field(default_factory=list)

    def record(
        self,
        step: int,
        auc: float,
        scores: np.ndarray,
        weights: Callable[[], dict[str, torch.Tensor]],
    ) -> None:
        self.history.append(ValidationPoint(step=step, auc=auc))
        if auc > self.auc:
            self.auc, self.step, self.weights, self.bad_evals = auc, step, weights(), 0
            self.scores = scores
        else:
            self.bad_evals += 1
            self.stop = self.bad_evals >= self.patience


class _Loop:
    """Optimizer steps over batches of example indices, each in length-sorted micro-batches whose
    loss `training_loss.MicroBatchLoss` computes."""

    def __init__(
        self,
        backbone: Backbone,
        model: torch.nn.Module,
        config: LoraTrainConfig,
        examples: _Examples,
        params: list[torch.nn.Parameter],
        total_steps: int,
        proximal_coefficient: float = 0.0,
    ) -> None:
        self.backbone, self.model, self.config, self.examples = backbone, model, config, examples
        self.params = params
        self.proximal_coefficient = proximal_coefficient
        # The weights the run starts from (the previous period's adapter) are the anchor.
        self.anchor = [p.detach().clone() for p in params] if proximal_coefficient > 0 else []
        self.optimizer = torch.optim.AdamW(
            params, lr=config.learning_rate, weight_decay=config.weight_decay
        )
        decay = config.lr_schedule == "linear"
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: max(0.0, 1.0 - step / total_steps) if decay else 1.0
        )
        self.steps_done = 0
        self.last_loss = math.nan
        """The last step's loss, as its gradient weighs its micro-batches."""
        self.samples = 0
        self.tokens = 0
        self.padding = PaddingTally()
        # Activation checkpointing turns the model's cache off; the plain path serves it.
        self.batch_loss = MicroBatchLoss(
            model,
            backbone.pad_id,
            backbone.device,
            config.loss,
            prefix_cache=config.prefix_cache and not config.gradient_checkpointing,
        )
        # bf16 autocast on CUDA (the reference uses fp16 mixed precision); fp32 elsewhere.
        use_autocast = backbone.device.type == "cuda" and backbone.dtype == torch.bfloat16
        self.autocast = (
            (lambda: torch.autocast("cuda", dtype=torch.bfloat16)) if use_autocast else nullcontext
        )

    def step(self, indices: np.ndarray) -> int:
        """One optimizer step on `indices`; returns the number of steps done."""
        self.model.train()
        sequences, targets = self.examples.sequences, self.examples.targets
        lengths = [len(seq) for seq in sequences]
        groups = self.padding.micro_batches(indices, lengths, self.config.micro_batch_size)
        # Normalise by the whole step's loss items, as the Trainer does under accumulation: the
        # step's gradient is then the same however its samples are grouped.
        items = [self.batch_loss.items([sequences[i] for i in g]) for g in groups]
        total_items = sum(items)
        step_loss = torch.zeros((), device=self.backbone.device)
        for group, group_items in zip(groups, items, strict=True):
            self.samples += len(group)
            self.tokens += sum(lengths[i] for i in group)  # padding excluded
            with self.autocast():
                loss = self.batch_loss([sequences[i] for i in group], [targets[i] for i in group])
            weighted = loss * (group_items / total_items)
            weighted.backward()
            step_loss += weighted.detach().float()
        self._add_proximal_gradient()
        if self.config.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.config.max_grad_norm)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        self.steps_done += 1
        self.last_loss = float(step_loss)
        return self.steps_done

    def _add_proximal_gradient(self) -> None:
        """The gradient of mu / 2 * ||theta - anchor||^2, mu (theta - anchor), added to the
        loss's before clipping, as if the penalty were part of the loss (PESO's proximal pull,
        docs/method.md section 3). Written in closed form: no extra autograd graph."""
        if not self.anchor:
            return
        with torch.no_grad():
            for param, anchor in zip(self.params, self.anchor, strict=True):
                difference = (param - anchor) * self.proximal_coefficient
                param.grad = difference if param.grad is None else param.grad + difference


def _binary_labels(labels: Sequence[int] | np.ndarray, n: int, where: str) -> np.ndarray:
    y = np.asarray(labels).astype(np.int64).ravel()
    if y.size != n:
        raise InputError(f"{y.size} labels for {n} prompts", where=where)
    if n == 0:
        raise InputError("no samples", where=where)
    if not np.isin(y, (0, 1)).all():
        raise InputError("labels must be 0 or 1", where=where)
    return y


def _check_init_shape(init: LoraShape, wanted: LoraShape) -> None:
    for name in ("r", "alpha", "target_modules"):
        if getattr(init, name) != getattr(wanted, name):
            raise ConfigError(
                f"init_adapter has {name}={getattr(init, name)!r} but the training "
                f"config has {getattr(wanted, name)!r}",
                where=name,
            )


def _set_checkpointing(model: PreTrainedModel, on: bool) -> None:
    """Activation checkpointing on or off. transformers 5.x renamed `gradient_checkpointing_*` to
    `activation_checkpointing_*` (the old names warn; releases before the rename lack the new).
    Non-reentrant checkpointing lets gradients reach the LoRA tensors of a frozen base; enabling
    also hooks the embeddings to require grads, a hook we remove again when switching off."""
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):
        if on:
            model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
        else:
            model.activation_checkpointing_disable()
    elif on:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_disable()
    if not on:
        model.disable_input_require_grads()


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)
