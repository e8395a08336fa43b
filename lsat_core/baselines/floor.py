"""The shared base of the floors: closed-form reference recommenders over user and item ids.

docs/method.md section 9 names two floors every comparison should carry, the simplest models a
reader compares against: a smoothed item like-rate (`popularity.py`) and an L2 logistic
regression on one-hot user + one-hot item (`logreg.py`). They have no training loop: each
candidate of one hyper-parameter grid is fitted outright on the training samples, and the one
with the best AUC on the validation samples is kept, as the torch baselines keep their best
validation (`base.py`). A floor is refitted each period (it has no fine-tuning), reads only the
user, the target item and the label, and scores ids it never saw through a zero row.

Saved like the torch baselines (one safetensors file, JSON metadata in its header), so the
registry loads either kind by its stored name.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import log_loss

from lsat_core.baselines.base import FORMAT, METADATA_KEY, FitCost, FitResult, read_saved
from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.samples import require_columns
from lsat_core.baselines.storage import write_safetensors
from lsat_core.baselines.training import ValidationRecord, validation_auc
from lsat_core.baselines.vocab import Vocabulary
from lsat_core.configs import config_from_dict, config_to_dict
from lsat_core.errors import InputError

Tables = dict[str, np.ndarray]
"""A fitted floor's arrays by name (float64); row 0 of a per-id table is the unknown id."""


@dataclass(frozen=True)
class IdRows:
    """Vocabulary rows of the samples' users and target items, with their labels."""

    user: np.ndarray
    item: np.ndarray
    label: np.ndarray

    @classmethod
    def encode(
        cls, df: pd.DataFrame, users: Vocabulary, items: Vocabulary, where: str, labels: bool
    ) -> IdRows:
        require_columns(df, ("user", "item", "label") if labels else ("user", "item"), where)
        label = df["label"].to_numpy(dtype=np.float64) if labels else np.zeros(len(df))
        if labels and not np.isin(label, (0, 1)).all():
            raise InputError("column label must hold only 0 and 1", where=where)
        return cls(
            user=users.lookup(df["user"].astype(str).to_numpy()),
            item=items.lookup(df["item"].astype(str).to_numpy()),
            label=label,
        )


class FloorRecommender(ABC):
    """A floor: untrained when built, fitted by `fit` on one grid, then scores samples."""

    name: ClassVar[str]
    """Registry key, stored in every saved model."""
    hyperparameter: ClassVar[str]
    """Name of the value the grid runs over (stored with the model)."""

    def __init__(self) -> None:
        self.config: ClassicTrainConfig | None = None
        self.users = Vocabulary()
        self.items = Vocabulary()
        self.value: float | None = None
        self.tables: Tables = {}

    @abstractmethod
    def grid(self, config: ClassicTrainConfig) -> tuple[float, ...]:
        """The candidate values of `hyperparameter`."""

    @abstractmethod
    def fit_tables(self, train: IdRows, users: int, items: int, value: float) -> Tables:
        """The floor fitted on `train` at one grid value (`users`, `items`: table rows)."""

    @abstractmethod
    def predict(self, tables: Tables, rows: IdRows) -> np.ndarray:
        """P(like) of every sample in `rows`, float64."""

    @property
    def is_fitted(self) -> bool:
        return bool(self.tables)

    def fit(
        self,
        train_df: pd.DataFrame,
        val_df: pd.DataFrame,
        config: ClassicTrainConfig,
        init_state: Any = None,
        progress: Callable[[ValidationRecord], None] | None = None,
        device: Any = None,
    ) -> FitResult:
        """Fit every grid value on `train_df`, keep the best on `val_df`'s AUC.

        The signature is `ClassicRecommender.fit`'s so the engine trains both kinds alike;
        `init_state` must be None (a floor is refitted, never continued) and `device` is
        ignored (numpy on the CPU).
        """
        if init_state is not None:
            raise InputError(f"{self.name} is refitted each period, not fine-tuned")
        started = time.perf_counter()
        if not len(train_df):
            raise InputError("no training samples", where="train_df")
        users = Vocabulary().extended(train_df["user"])
        items = Vocabulary().extended(train_df["item"])
        train = IdRows.encode(train_df, users, items, "train_df", labels=True)
        val = IdRows.encode(val_df, users, items, "val_df", labels=True)
        if len(np.unique(val.label)) < 2:
            raise InputError("needs both label classes for a validation AUC", where="val_df")
        history: list[ValidationRecord] = []
        fitted: list[Tables] = []
        for value in self.grid(config):
            tables = self.fit_tables(train, users.size, items.size, value)
            val_scores = self.predict(tables, val)
            record = ValidationRecord(
                samples_trained=len(train.label),
                epochs=1.0,
                train_loss=float(log_loss(train.label, self.predict(tables, train), labels=(0, 1))),
                val_auc=validation_auc(val.label, val_scores),
                val_loss=float(np.mean((val_scores - val.label) ** 2)),
                seconds=time.perf_counter() - started,
            )
            history.append(record)
            fitted.append(tables)
            if progress is not None:
                progress(record)
        best = int(np.argmax([r.val_auc for r in history]))  # the first of equals
        self.config, self.users, self.items = config, users, items
        self.value, self.tables = self.grid(config)[best], fitted[best]
        return FitResult(
            best_val_auc=history[best].val_auc,
            best=best,
            initial_val_auc=None,
            history=tuple(history),
            cost=FitCost(len(train.label) * len(history), time.perf_counter() - started, "cpu"),
            stopped_early=False,
            users=len(users.ids),
            items=len(items.ids),
        )

    def score(self, df: pd.DataFrame) -> np.ndarray:
        """P(like) of every row of `df`, in its order."""
        if not self.is_fitted:
            raise InputError(f"{self.name}: the model has not been fitted or loaded")
        return self.predict(
            self.tables, IdRows.encode(df, self.users, self.items, "samples", False)
        )

    def save(self, path: str | Path) -> Path:
        """Write the tables and metadata to one safetensors file atomically (see `base.py`)."""
        if not self.is_fitted or self.config is None:
            raise InputError(f"{self.name}: the model has not been fitted or loaded")
        metadata = {
            "format": FORMAT,
            "model": self.name,
            "config": config_to_dict(self.config),
            "users": list(self.users.ids),
            "items": list(self.items.ids),
            self.hyperparameter: self.value,
        }
        tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.tables.items()}
        return write_safetensors(Path(path), tensors, {METADATA_KEY: json.dumps(metadata)})

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """A floor saved by `save`."""
        path = Path(path)
        metadata, tensors = read_saved(path)
        if metadata.get("model") != cls.name:
            raise InputError(
                f"holds a {metadata.get('model')!r} model, not {cls.name!r}", where=path
            )
        model = cls()
        model.config = config_from_dict(ClassicTrainConfig, metadata["config"])
        model.users = Vocabulary(tuple(metadata["users"]))
        model.items = Vocabulary(tuple(metadata["items"]))
        model.value = float(metadata[cls.hyperparameter])
        model.tables = {k: v.numpy() for k, v in tensors.items()}
        return model
