"""A classic baseline (MF, DeepMusic, GRU4Rec, Caser, SASRec) or a floor (popularity, logreg) as
a model family of the engine.

One family per baseline, named after it ("mf", "sasrec", ...), so `ModelSpec("mf", FULL, t)`
is MF fully retrained at t and `ModelSpec("mf", FINE_TUNE, t)` MF fine-tuned from t - 1, with
the training data of docs/method.md section 3 (`model_specs.py`). Training, saving, scoring are the
baselines' own (`lsat_core.baselines`); this module adds what the engine asks of a family:
the key, the fine-tuning rule and the cost.

Sample budget: with `classic_whole_periods` (the default) a classic model trains and validates
on whole period parts, not on the budget's subsets the workbench hands every family, and its
warm items are the targets of those whole parts (`training_set`); see `ExperimentConfig`.

Threads: classic models train and score on the CPU with one torch thread (`one_torch_thread`).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lsat_core.baselines.registry import (
    RECOMMENDERS,
    TEXT_BASELINES,
    Recommender,
    build_baseline,
    load_baseline,
)
from lsat_core.baselines.text_features import ItemTextFeatures, title_embeddings
from lsat_core.baselines.training import ValidationRecord
from lsat_core.configs import config_to_dict
from lsat_core.curve_points import CurveKind, CurvePoint, CurveSink, no_curve
from lsat_core.data.stream import Stream
from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.engine.families import (
    BatchProgress,
    FamilyTrainingResult,
    ProgressSink,
    keep_if_worse,
)
from lsat_core.engine.model_specs import ModelSpec, Part
from lsat_core.engine.sample_sets import SampleSet, period_part
from lsat_core.engine.training_data import training_set
from lsat_core.errors import ConfigError, InputError

MODEL_FILE = "model.safetensors"
DEVICE = "cpu"
"""Classic models train and score on the CPU, leaving any GPU to the LLM: the five of them
fully retrained over 20 ML-1M periods fit in minutes (bench/bench_classic_protocols.py)."""


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the block with one intra-op thread, then restore the previous count.

    These models are too small to gain from a second thread, and two OpenMP threads that wait
    on each other on a busy machine make every step several times slower. Measured on the
    2-core machine, shared with other work (load about 3.5), fitting MF and SASRec at t = 3 of
    ML-1M (29,000 samples; `bench/bench_baselines.py --periods 3 --models mf,sasrec`): MF
    2.2-3.8 s with one thread against 22-26 s with two, SASRec 9.5-10.4 s against 52-108 s.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def optimizer_steps(samples_trained: int, train_size: int, batch_size: int) -> int:
    """Adam steps taken after `samples_trained` samples: full batches, and a short last one
    in each epoch (baselines/training.py)."""
    epochs, into_epoch = divmod(samples_trained, train_size)
    return epochs * -(-train_size // batch_size) + -(-into_epoch // batch_size)


class ClassicFamily:
    def __init__(
        self,
        baseline: str,
        config: ExperimentConfig,
        stream: Stream,
        cache_dir: Path,
        *,
        text_features: ItemTextFeatures | None = None,
    ) -> None:
        """`text_features`: DeepMusic's item vectors; None computes MiniLM title embeddings of
        the stream's items (cached in `cache_dir`) on first use."""
        if baseline not in RECOMMENDERS:
            raise ConfigError(
                f"unknown baseline {baseline!r}; one of {', '.join(RECOMMENDERS)}",
                where="baseline",
            )
        self.name = baseline
        self._config = config
        self._stream = stream
        self._cache_dir = cache_dir
        if text_features is not None:
            self.__dict__["text_features"] = text_features  # fills the cached property

    @cached_property
    def text_features(self) -> ItemTextFeatures:
        return title_embeddings(self._stream.items, self._cache_dir)

    @property
    def uses_text(self) -> bool:
        return self.name in TEXT_BASELINES

    def prepare(self) -> None:
        if self.uses_text:
            _ = self.text_features

    def key_config(self, spec: ModelSpec) -> dict[str, Any]:
        key: dict[str, Any] = {
            "classic": config_to_dict(self._config.classic),
            "whole_periods": self._config.classic_whole_periods,
        }
        if self.uses_text:
            key["text_features"] = self.text_features.key
        return key

    def new_model(self) -> Recommender:
        return build_baseline(
            self.name, text_features=self.text_features if self.uses_text else None
        )

    # Samples: whole parts, or the experiment's budget like every other family.

    def _budget(self) -> SampleBudget:
        budget = self._config.budget
        return SampleBudget(seed=budget.seed) if self._config.classic_whole_periods else budget

    def _part(self, part: Part) -> SampleSet:
        return period_part(self._stream, self._budget(), *part)

    def training_set(self, spec: ModelSpec, given: SampleSet) -> SampleSet:
        """Whole parts (with replay's or sampling's draws from whole parts) under
        `classic_whole_periods`, else the workbench's budgeted `given`."""
        if not self._config.classic_whole_periods:
            return given
        return training_set(spec, self._config.updates, self._part, self._config.seed)

    def train(
        self,
        spec: ModelSpec,
        train: SampleSet,
        val: SampleSet,
        init: Recommender | None,
        progress: ProgressSink,
        curve: CurveSink = no_curve,
    ) -> FamilyTrainingResult:
        train = self.training_set(spec, train)
        if self._config.classic_whole_periods:
            val = self._part(spec.val_part)
        total = self._config.classic.max_epochs * len(train)
        what = f"train {spec.label()}"
        batch_size = self._config.classic.batch_size
        lowest_val_loss = math.inf

        def report(record: ValidationRecord) -> None:
            nonlocal lowest_val_loss
            progress(what, record.samples_trained, total)
            seen = record.samples_trained
            step = optimizer_steps(seen, len(train), batch_size)
            # The loop keeps the weights of the lowest validation loss (baselines/training.py).
            is_best = record.val_loss < lowest_val_loss
            lowest_val_loss = min(lowest_val_loss, record.val_loss)
            curve(CurvePoint(CurveKind.TRAIN_LOSS, step, seen, record.train_loss))
            curve(CurvePoint(CurveKind.VAL_AUC, step, seen, record.val_auc, is_best))

        model = self.new_model()
        started = time.process_time()
        with one_torch_thread():
            fitted = model.fit(
                train.frame, val.frame, self._config.classic, init, report, device=DEVICE
            )
        cpu_seconds = time.process_time() - started
        start = fitted.initial_val_auc
        if start is not None:  # the model fine-tuning starts from, validated before training
            curve(CurvePoint(CurveKind.VAL_AUC, 0, 0, start))
        kept, best_val_auc, kept_previous = keep_if_worse(init, model, fitted.best_val_auc, start)
        best = fitted.history[fitted.best]
        best_step = optimizer_steps(best.samples_trained, len(train), batch_size)
        return FamilyTrainingResult(
            model=kept,
            best_val_auc=best_val_auc,
            start_val_auc=start,
            kept_previous=kept_previous,
            samples_trained=fitted.cost.samples_trained,
            kept_step=0 if kept_previous else best_step,
            tokens_trained=None,
            seconds=fitted.cost.seconds,
            device=fitted.cost.device,
            extra={
                "cpu_seconds": cpu_seconds,
                "train_samples": len(train),
                "val_samples": len(val),
                "best_samples_trained": best.samples_trained,
                "best_epochs": best.epochs,
                "stopped_early": fitted.stopped_early,
                "users": fitted.users,
                "items": fitted.items,
                "val_history": [[r.samples_trained, r.val_auc] for r in fitted.history],
                "val_losses": [r.val_loss for r in fitted.history],
            },
        )

    def save(self, model: Recommender, directory: Path) -> str:
        directory.mkdir(parents=True, exist_ok=True)
        path = model.save(directory / MODEL_FILE)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    def load(self, directory: Path) -> Recommender:
        model = load_baseline(
            directory / MODEL_FILE, text_features=self.text_features if self.uses_text else None
        )
        if model.name != self.name:
            raise InputError(f"holds a {model.name} model, not {self.name}", where=directory)
        return model

    def score(
        self, model: Recommender, samples: SampleSet, progress: BatchProgress | None = None
    ) -> np.ndarray:
        """In one pass: no batches to report to `progress`."""
        with one_torch_thread():
            return model.score(samples.frame)

    def score_many(
        self, models: list[Recommender], samples: SampleSet, progress: BatchProgress | None = None
    ) -> np.ndarray:
        # Small models: nothing to gain from batching them together.
        return np.stack([self.score(model, samples) for model in models])

    def device(self) -> str:
        return DEVICE
