"""The training loop every classic baseline shares: Adam, periodic validation, early stopping.

docs/method.md section 5 trains with Adam (lr 1e-3, weight decay 1e-5) and batch 256 on an MSE loss; the
TALLRec baselines validate every few steps and keep the best checkpoint. We validate every
`eval_interval` training samples (and at least once an epoch) and stop after `patience`
validations without a better AUC. Counting in samples rather than epochs is what keeps full
retraining affordable: at period 20 one epoch is 190,000 samples, and a model that has converged
after 50,000 should not be made to finish several epochs before early stopping may act.
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
    seconds: float
    """Wall seconds since training started."""


@dataclass(frozen=True)
class TrainingOutcome:
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
        auc = validation_auc(self.val_labels, sigmoid_scores(self.network, self.val))
        record = ValidationRecord(
            samples, samples / self.train_size, train_loss, auc, time.perf_counter() - self.started
        )
        self.history.append(record)
        if self.progress is not None:
            self.progress(record)
        if self.best < 0 or auc > self.history[self.best].val_auc:
            self.best = len(self.history) - 1
            self.best_state = {k: v.detach().clone() for k, v in self.network.state_dict().items()}
        return len(self.history) - 1 - self.best

    def finish(self, stopped_early: bool) -> TrainingOutcome:
        self.network.load_state_dict(self.best_state)
        self.network.eval()
        return TrainingOutcome(tuple(self.history), self.best, stopped_early)


def train_with_early_stopping(
    network: BaselineNetwork,
    train: SampleTensors,
    val: SampleTensors,
    config: ClassicTrainConfig,
    progress: Callable[[ValidationRecord], None] | None = None,
) -> TrainingOutcome:
    """Train `network` in place and leave it holding the best validated weights.

    Randomness (shuffling, dropout, unknown-id masking) comes from torch's global generator,
    which the caller seeds.
    """
    keeper = _BestKeeper(network, val, len(train), progress)
    optimizer = torch.optim.Adam(
        network.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    interval = min(config.eval_interval, len(train))  # at least one validation an epoch
    device = train.user.device
    samples, since_validation = 0, 0
    loss_sum = torch.zeros((), device=device)
    for _ in range(config.max_epochs):
        order = torch.randperm(len(train)).to(device)
        for start in range(0, len(train), config.batch_size):
            network.train()
            batch = train.select(order[start : start + config.batch_size])
            loss = network.loss(batch.with_unknown_ids(config.unknown_rate))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(batch)
            samples += len(batch)
            since_validation += len(batch)
            if since_validation >= interval:
                since_best = keeper.validate(samples, float(loss_sum) / since_validation)
                loss_sum.zero_()
                since_validation = 0
                if since_best >= config.patience:
                    return keeper.finish(stopped_early=True)
    if since_validation:
        keeper.validate(samples, float(loss_sum) / since_validation)
    return keeper.finish(stopped_early=False)
