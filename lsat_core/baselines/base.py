"""The shared base of the classic baselines: fit with early stopping, score, save and load.

docs/method.md section 5: every baseline is trained on the binary label with an MSE loss, Adam
(learning rate 1e-3, weight decay 1e-5), batch 256, embedding size 64, and scores a sample with
the sigmoid of its output. As in the TALLRec baseline code (SAI990323/TALLRec,
`baseline/movielens`), the MSE is taken between sigmoid(output) and the 0/1 label; the weights
kept are those of the validation with the lowest loss, a steadier signal than the AUC of a
1,000-sample val_t (`training.py`).

A subclass (one per model file) only says how to build its network; the network maps
`SampleTensors` to one logit per sample and names its vocabulary-indexed tables so that
fine-tuning can grow them (`vocab.carry_over_rows`).
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
from safetensors import SafetensorError, safe_open

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.samples import FIT_COLUMNS, SampleTensors, encode_samples, require_columns
from lsat_core.baselines.storage import write_safetensors
from lsat_core.baselines.training import (
    BaselineNetwork,
    ValidationRecord,
    sigmoid_scores,
    train_with_early_stopping,
    validation_auc,
)
from lsat_core.baselines.vocab import Vocabulary, carry_over_rows
from lsat_core.configs import config_from_dict, config_to_dict
from lsat_core.errors import ConfigError, InputError

FORMAT = "lsat-classic-baseline/1"
METADATA_KEY = "lsat_classic_baseline"


@dataclass(frozen=True)
class FitCost:
    samples_trained: int
    """Training samples processed, summed over epochs."""
    seconds: float
    """Wall seconds of the whole fit (encoding, training, validation)."""
    device: str


@dataclass(frozen=True)
class FitResult:
    best_val_auc: float
    """Validation AUC of the weights the model now holds."""
    best: int
    """Index in `history` of the validation whose weights the model now holds."""
    initial_val_auc: float | None
    """Validation AUC of `init_state` as it was (None when training from scratch); a caller
    fine-tuning can keep the previous model when `best_val_auc` falls below it (docs/method.md
    section 3)."""
    history: tuple[ValidationRecord, ...]
    cost: FitCost
    stopped_early: bool
    """True when patience ran out before `max_epochs`."""
    users: int
    """Known users after the fit (the unknown slot not counted)."""
    items: int
    """Known (warm) items after the fit."""


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class ClassicRecommender(ABC):
    """A classic recommender: untrained when built, trained by `fit`, then scores samples."""

    name: ClassVar[str]
    """Registry key, stored in every saved model."""

    def __init__(self) -> None:
        self.config: ClassicTrainConfig | None = None
        self.users = Vocabulary()
        self.items = Vocabulary()
        self.network: BaselineNetwork | None = None

    @abstractmethod
    def build_network(
        self, config: ClassicTrainConfig, user_rows: int, item_rows: int
    ) -> BaselineNetwork:
        """A freshly initialised network with tables of the given row counts."""

    def encode(
        self,
        df: pd.DataFrame,
        users: Vocabulary,
        items: Vocabulary,
        *,
        where: str,
        with_labels: bool,
    ) -> SampleTensors:
        return encode_samples(df, users, items, where=where, with_labels=with_labels)

    def saved_metadata(self) -> dict[str, Any]:
        """Extra JSON a subclass stores with its weights; `load` requires equal values."""
        return {}

    def check_saved_metadata(self, metadata: dict[str, Any], path: Path) -> None:
        """Refuse a saved model whose extra metadata differs from what this instance has."""
        for key, value in self.saved_metadata().items():
            if metadata.get(key) != value:
                raise InputError(
                    f"was saved with {key}={metadata.get(key)!r}, not {value!r}", where=path
                )

    @property
    def is_fitted(self) -> bool:
        return self.network is not None

    def _require_fitted(self) -> BaselineNetwork:
        if self.network is None:
            raise InputError(f"{self.name}: the model has not been fitted or loaded")
        return self.network

    def fit(
        self,
        train_df: pd.DataFrame,
        val_df: pd.DataFrame,
        config: ClassicTrainConfig,
        init_state: ClassicRecommender | None = None,
        progress: Callable[[ValidationRecord], None] | None = None,
        device: str | torch.device | None = None,
    ) -> FitResult:
        """Train on `train_df`, keep the weights with the lowest loss on `val_df`.

        Without `init_state` the vocabularies and weights start afresh (full retraining). With
        it (fine-tuning, docs/method.md section 3) they start from that fitted model of the same
        kind and architecture: its vocabularies grow by the ids new in `train_df`, known ids keep
        their rows, new ids start freshly initialised. `init_state` itself is left unchanged (it
        may be this very object). `progress` is called with every validation record.
        """
        started = time.perf_counter()
        device = torch.device(device) if device is not None else default_device()
        require_columns(train_df, FIT_COLUMNS, "train_df")
        if not len(train_df):
            raise InputError("no training samples", where="train_df")
        users, items, previous_state = Vocabulary(), Vocabulary(), None
        if init_state is not None:
            self._check_continuable(init_state, config)
            users, items = init_state.users, init_state.items
            previous_state = init_state._require_fitted().state_dict()
        users = users.extended(train_df["user"])
        items = items.extended(train_df["item"])
        train = self.encode(train_df, users, items, where="train_df", with_labels=True)
        val = self.encode(val_df, users, items, where="val_df", with_labels=True)
        if len(np.unique(val.label.numpy())) < 2:
            raise InputError("needs both label classes for a validation AUC", where="val_df")
        initial_val_auc = (
            validation_auc(val.label.numpy(), init_state.score(val_df))
            if init_state is not None
            else None
        )

        cuda_devices = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda_devices):
            torch.manual_seed(config.seed)
            network = self.build_network(config, users.size, items.size).to(device)
            if previous_state is not None:
                network.load_state_dict(
                    carry_over_rows(previous_state, network.state_dict(), network.row_tables)
                )
            outcome = train_with_early_stopping(
                network, train.to(device), val.to(device), config, progress
            )
        self.config, self.users, self.items, self.network = config, users, items, network
        return FitResult(
            best_val_auc=outcome.history[outcome.best].val_auc,
            best=outcome.best,
            initial_val_auc=initial_val_auc,
            history=outcome.history,
            cost=FitCost(
                outcome.history[-1].samples_trained, time.perf_counter() - started, str(device)
            ),
            stopped_early=outcome.stopped_early,
            users=len(users.ids),
            items=len(items.ids),
        )

    def _check_continuable(
        self, init_state: ClassicRecommender, config: ClassicTrainConfig
    ) -> None:
        if type(init_state) is not type(self):
            raise ConfigError(
                f"cannot continue a {init_state.name} model as {self.name}", where="init_state"
            )
        init_state._require_fitted()
        assert init_state.config is not None
        mismatch = config.architecture_mismatch(init_state.config)
        if mismatch:
            raise ConfigError(
                "differs from the model it continues; keep "
                + ", ".join(f"{f}={getattr(init_state.config, f)!r}" for f in mismatch),
                where=mismatch[0],
            )

    def score(self, df: pd.DataFrame) -> np.ndarray:
        """P(like) of every row of `df`, in its order: sigmoid of the network's output."""
        network = self._require_fitted()
        tensors = self.encode(df, self.users, self.items, where="samples", with_labels=False)
        device = next(network.parameters()).device
        return sigmoid_scores(network, tensors.to(device))

    def to(self, device: str | torch.device) -> Self:
        self._require_fitted().to(torch.device(device))
        return self

    def save(self, path: str | Path) -> Path:
        """Write weights and metadata (config, vocabularies) to one safetensors file atomically.

        The JSON metadata rides in the safetensors header, so a model is a single file that is
        either complete or absent; nothing is pickled.
        """
        network = self._require_fitted()
        assert self.config is not None
        metadata = {
            "format": FORMAT,
            "model": self.name,
            "config": config_to_dict(self.config),
            "users": list(self.users.ids),
            "items": list(self.items.ids),
            **self.saved_metadata(),
        }
        tensors = {k: v.detach().cpu().contiguous() for k, v in network.state_dict().items()}
        return write_safetensors(Path(path), tensors, {METADATA_KEY: json.dumps(metadata)})

    @classmethod
    def load(cls, path: str | Path, **init_kwargs: Any) -> Self:
        """A model saved by `save`, on the CPU; `init_kwargs` go to the constructor."""
        path = Path(path)
        metadata, tensors = read_saved(path)
        if metadata.get("model") != cls.name:
            raise InputError(
                f"holds a {metadata.get('model')!r} model, not {cls.name!r}", where=path
            )
        model = cls(**init_kwargs)
        model.check_saved_metadata(metadata, path)
        config = config_from_dict(ClassicTrainConfig, metadata["config"])
        users, items = Vocabulary(tuple(metadata["users"])), Vocabulary(tuple(metadata["items"]))
        network = model.build_network(config, users.size, items.size)
        network.load_state_dict(tensors)
        network.eval()
        model.config, model.users, model.items, model.network = config, users, items, network
        return model


def read_saved_metadata(path: Path) -> dict[str, Any]:
    """The JSON metadata of a saved baseline, read from the safetensors header only."""
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = (handle.metadata() or {}).get(METADATA_KEY)
    except (OSError, SafetensorError) as exc:
        raise InputError(f"not a readable safetensors file ({exc})", where=path) from exc
    if header is None:
        raise InputError("not a saved classic baseline (no metadata)", where=path)
    metadata = json.loads(header)
    if metadata.get("format") != FORMAT:
        raise InputError(f"unknown format {metadata.get('format')!r}", where=path)
    return metadata


def read_saved(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Metadata and tensors of a saved baseline (weights only: safetensors never unpickles)."""
    metadata = read_saved_metadata(path)
    with safe_open(str(path), framework="pt") as handle:
        tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    return metadata, tensors
