"""The training loop every classic baseline shares: Adam, validation each epoch, early stopping.

docs/method.md section 5 trains with Adam (lr 1e-3, weight decay 1e-5) and batch 256 on an MSE
loss. We validate `evals_per_epoch` times per pass over the training set and stop after
`patience_epochs` passes without a better validation; the weights kept are those of the best
validation. Two choices make that sound on ML-1M, where val_t holds 1,000 samples:
- The cadence follows the epoch. Counting validations in samples (formerly every 10,000, with a
  patience of three) let full retraining at t = 16, 159,000 samples an epoch, stop after a
  fifth of an epoch, having taken 40 Adam steps.
- "Better" is a lower validation loss (the training MSE on val_t), not a higher validation AUC.
  A 1,000-sample AUC has a standard error near 0.016 and, as a rank statistic, jumps by about
  that much between checkpoints a quarter epoch apart; the loss, a mean of smooth per-sample
  terms, falls and then rises as the model starts to overfit. The AUC of each validation is
  recorded beside it; fine-tuning's keep-if-worse rule (docs/method.md section 3) compares AUCs.
- Weight decay reaches only the user and item rows a batch touches (`row_decay="touched"`, the
  default; "every_step" is Adam's own). Adam's coupled L2 term on
  a row no batch touches is its whole gradient, which Adam normalises to a step of about the
  learning rate toward zero every step: fine-tuning on one period wiped the rows of the users
  and items absent from it (MF fine-tuned over D_11..D_20: 0.702 with that decay, 0.734 with it
  on touched rows only, against popularity's 0.724; docs/method.md section 5).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.samples import SampleTensors
from lsat_core.errors import InputError
from lsat_core.evaluation.metrics import auc_with_ci

SCORE_BATCH_SIZE = 4096


class BaselineNetwork(nn.Module):
    """A network over vocabulary rows: one logit per sample."""

    row_tables: tuple[str, ...] = ()
    """State-dict keys of the tensors whose first dimension runs over users or items."""

    def forward(self, batch: SampleTensors) -> torch.Tensor:  # [B]
        raise NotImplementedError

    def loss(self, batch: SampleTensors) -> torch.Tensor:
        """MSE between sigmoid(logit) and the label, as the TALLRec baselines train."""
        return nn.functional.mse_loss(torch.sigmoid(self(batch)), batch.label)


@dataclass(frozen=True)
class ValidationRecord:
    samples_trained: int
    """Training samples processed before this validation."""
    epochs: float
    """The same in passes over the training set."""
    train_loss: float
    """Mean training loss since the previous validation."""
    val_auc: float
    """Global ROC AUC on the validation samples."""
    val_loss: float
    """The training loss (MSE of sigmoid(logit) against the label) on the validation samples:
    what early stopping follows."""
    seconds: float
    """Wall seconds since training started."""


@dataclass(frozen=True)
class ValidationHistory:
    history: tuple[ValidationRecord, ...]
    best: int
    """Index in `history` of the validation whose weights the network now holds."""
    stopped_early: bool


def validation_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    auc = auc_with_ci(labels, scores).auc
    if auc is None:
        raise InputError("needs both label classes for a validation AUC", where="val_df")
    return auc


@torch.no_grad()
def sigmoid_scores(network: BaselineNetwork, tensors: SampleTensors) -> np.ndarray:
    """sigmoid(logit) of every sample, in order, as float64 numpy."""
    network.eval()
    parts = [
        torch.sigmoid(network(tensors.select(slice(start, start + SCORE_BATCH_SIZE))))
        for start in range(0, len(tensors), SCORE_BATCH_SIZE)
    ]
    if not parts:
        return np.empty(0, dtype=np.float64)
    return torch.cat(parts).double().cpu().numpy()


class _BestKeeper:
    """Validates, records the history and keeps a copy of the best weights so far."""

    def __init__(
        self,
        network: BaselineNetwork,
        val: SampleTensors,
        train_size: int,
        progress: Callable[[ValidationRecord], None] | None,
    ) -> None:
        self.network, self.val, self.train_size, self.progress = network, val, train_size, progress
        self.val_labels = val.label.cpu().numpy()
        self.started = time.perf_counter()
        self.history: list[ValidationRecord] = []
        self.best = -1
        self.best_state: dict[str, torch.Tensor] = {}

    def validate(self, samples: int, train_loss: float) -> int:
        """Record a validation after `samples` training samples; validations since the best."""
        scores = sigmoid_scores(self.network, self.val)
        auc = validation_auc(self.val_labels, scores)
        val_loss = float(np.mean((scores - self.val_labels) ** 2))
        record = ValidationRecord(
            samples,
            samples / self.train_size,
            train_loss,
            auc,
            val_loss,
            time.perf_counter() - self.started,
        )
        self.history.append(record)
        if self.progress is not None:
            self.progress(record)
        if self.best < 0 or val_loss < self.history[self.best].val_loss:
            self.best = len(self.history) - 1
            self.best_state = {k: v.detach().clone() for k, v in self.network.state_dict().items()}
        return len(self.history) - 1 - self.best

    def finish(self, stopped_early: bool) -> ValidationHistory:
        self.network.load_state_dict(self.best_state)
        self.network.eval()
        return ValidationHistory(tuple(self.history), self.best, stopped_early)


def validation_steps(samples: int, batch_size: int, evals_per_epoch: int) -> frozenset[int]:
    """Batch indices (0-based, within an epoch) after which to validate: the first batch to
    reach each k / `evals_per_epoch` of the epoch's samples, so validations fall within a batch
    of evenly spaced and the last ends the epoch (fewer when an epoch has fewer batches)."""
    return frozenset(
        -(-samples * k // (evals_per_epoch * batch_size)) - 1 for k in range(1, evals_per_epoch + 1)
    )


def row_and_dense_parameters(
    network: BaselineNetwork,
) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """The parameters of `network.row_tables` (user or item rows), and all the others."""
    named = dict(network.named_parameters(remove_duplicate=False))
    missing = [name for name in network.row_tables if name not in named]
    if missing:
        raise ValueError(f"{type(network).__name__}.row_tables names no parameter: {missing}")
    row_ids = {id(named[name]) for name in network.row_tables}
    parameters = list(network.parameters())
    return (
        [p for p in parameters if id(p) in row_ids],
        [p for p in parameters if id(p) not in row_ids],
    )


@torch.no_grad()
def decay_touched_rows(tables: list[nn.Parameter], weight_decay: float) -> None:
    """Add Adam's L2 term, `weight_decay` times the weight, to the gradient of the rows the
    batch touched (a nonzero gradient): the penalty of the rows in use, as Adam's
    `weight_decay` adds it to every row, without pulling rows no batch touches toward zero."""
    if not weight_decay:
        return
    for table in tables:
        if table.grad is None:
            continue
        touched = table.grad.reshape(len(table), -1).ne(0).any(dim=1)
        table.grad[touched] += weight_decay * table[touched]


def train_with_early_stopping(
    network: BaselineNetwork,
    train: SampleTensors,
    val: SampleTensors,
    config: ClassicTrainConfig,
    progress: Callable[[ValidationRecord], None] | None = None,
) -> ValidationHistory:
    """Train `network` in place and leave it holding the best validated weights.

    Randomness (shuffling, dropout, unknown-id masking) comes from torch's global generator,
    which the caller seeds.
    """
    keeper = _BestKeeper(network, val, len(train), progress)
    rows, dense = row_and_dense_parameters(network)
    touched_only = config.row_decay == "touched"
    optimizer = torch.optim.Adam(
        [
            {"params": dense, "weight_decay": config.weight_decay},
            {"params": rows, "weight_decay": 0.0 if touched_only else config.weight_decay},
        ],
        lr=config.learning_rate,
    )
    row_decay = config.weight_decay if touched_only else 0.0
    batches = -(-len(train) // config.batch_size)
    validate_after = validation_steps(len(train), config.batch_size, config.evals_per_epoch)
    patience = config.patience_epochs * len(validate_after)
    device = train.user.device
    samples, since_validation = 0, 0
    loss_sum = torch.zeros((), device=device)
    for _ in range(config.max_epochs):
        order = torch.randperm(len(train)).to(device)
        for step in range(batches):
            network.train()
            start = step * config.batch_size
            batch = train.select(order[start : start + config.batch_size])
            loss = network.loss(batch.with_unknown_ids(config.unknown_rate))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            decay_touched_rows(rows, row_decay)
            optimizer.step()
            loss_sum += loss.detach() * len(batch)
            samples += len(batch)
            since_validation += len(batch)
            if step in validate_after:
                since_best = keeper.validate(samples, float(loss_sum) / since_validation)
                loss_sum.zero_()
                since_validation = 0
                if since_best >= patience:
                    return keeper.finish(stopped_early=True)
    return keeper.finish(stopped_early=False)
