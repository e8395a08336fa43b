"""TALLRec LoRA adapters as a model family: prompts, training, scoring on one shared backbone."""

from __future__ import annotations

import dataclasses
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from lsat_core.configs import config_to_dict
from lsat_core.curve_points import CurveSink, no_curve
from lsat_core.data.prompts import build_prompts
from lsat_core.data.stream import Stream
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.families import (
    BatchProgress,
    FamilyTrainingResult,
    ProgressSink,
    keep_if_worse,
)
from lsat_core.engine.model_specs import LORA, ModelSpec
from lsat_core.engine.proximal_search import choose_proximal, curve_to_json
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.llm.adapters import Adapter, load_adapter, save_adapter
from lsat_core.llm.backbone import Backbone, load_backbone
from lsat_core.llm.scoring import score_prompts, score_prompts_with_adapters
from lsat_core.llm.training import LoraTrainConfig, TrainedAdapter, train_adapter


class LoraFamily:
    name = LORA

    def __init__(self, config: ExperimentConfig, stream: Stream, cache_dir: Path) -> None:
        self._config = config
        self._stream = stream
        self._cache_dir = cache_dir
        self._prompts: dict[str, list[str]] = {}

    @cached_property
    def backbone(self) -> Backbone:
        """Loaded on first use, so experiments of classic baselines never load an LLM."""
        return load_backbone(self._config.backbone, self._cache_dir)

    def prepare(self) -> None:
        _ = self.backbone

    def train_config(self, spec: ModelSpec) -> LoraTrainConfig:
        """Retraining's settings, or fine-tuning's for a model that continues a previous one:
        the reference (`train.py`, tune mode) validates it every 6 steps, not 23, and stops it
        after 5 validations without a better AUC, not 10 (docs/method.md section 2.3). A first
        model of such a chain starts fresh, as the reference's first tune starts from the
        retrained model of period 1, so it trains as retraining does."""
        lora = self._config.lora
        if spec.parent is None:
            return lora
        return dataclasses.replace(
            lora,
            patience=self._config.fine_tune_patience,
            eval_every=self._config.updates.fine_tune_eval_every,
        )

    def key_config(self, spec: ModelSpec) -> dict[str, Any]:
        key: dict[str, Any] = {
            "backbone": self._config.backbone.name_or_path,
            "lora": config_to_dict(self.train_config(spec)),
        }
        # Only a penalty that acts enters the key: with mu = 0 proximal fine-tuning is
        # fine-tuning and shares its models.
        candidates = spec.pulls(self._config.updates)
        if len(candidates) > 1:
            key["proximal_grid"] = list(candidates)
        elif candidates[0] > 0:
            key["proximal_coefficient"] = candidates[0]
        return key

    def training_set(self, spec: ModelSpec, given: SampleSet) -> SampleSet:
        """LoRAs train on the samples the workbench hands them."""
        return given

    def prompts(self, samples: SampleSet) -> list[str]:
        if samples.key not in self._prompts:
            self._prompts[samples.key] = build_prompts(
                samples.frame, self._stream.titles, self._stream.noun
            )
        return self._prompts[samples.key]

    def train(
        self,
        spec: ModelSpec,
        train: SampleSet,
        val: SampleSet,
        init: Adapter | None,
        progress: ProgressSink,
        curve: CurveSink = no_curve,
    ) -> FamilyTrainingResult:
        candidates = spec.pulls(self._config.updates)
        if len(candidates) == 1:
            trained = self._train_adapter(spec, train, val, init, candidates[0], progress, curve)
            return self._result(init, trained, [trained])

        def train_candidate(
            mu: float, sink: CurveSink, first: TrainedAdapter | None
        ) -> TrainedAdapter:
            # All start from `init`: the first candidate's start validation serves the others.
            known = None if first is None else first.start_val_auc
            return self._train_adapter(spec, train, val, init, mu, progress, sink, known)

        choice = choose_proximal(
            candidates,
            train_candidate,
            lambda candidate: candidate.best_val_scores,  # scored by its own training
            val.labels,
            curve,
        )
        return self._result(
            init,
            choice.kept,
            list(choice.candidates.values()),
            proximal_coefficient=choice.curve.best_coefficient,
            proximal_curve=curve_to_json(choice.curve),
        )

    def _train_adapter(
        self,
        spec: ModelSpec,
        train: SampleSet,
        val: SampleSet,
        init: Adapter | None,
        proximal_coefficient: float,
        progress: ProgressSink,
        curve: CurveSink,
        known_start_val_auc: float | None = None,
    ) -> TrainedAdapter:
        return train_adapter(
            self.backbone,
            self.prompts(train),
            train.labels,
            self.prompts(val),
            val.labels,
            self.train_config(spec),
            init_adapter=init,
            proximal_coefficient=proximal_coefficient,
            progress=lambda done, total: progress(f"train {spec.label()}", done, total),
            curve=curve,
            known_start_val_auc=known_start_val_auc,
        )

    def _result(
        self,
        init: Adapter | None,
        trained: TrainedAdapter,
        paid: list[TrainedAdapter],
        **extra: Any,
    ) -> FamilyTrainingResult:
        """`trained` kept under fine-tuning's rule; the cost is that of every adapter in `paid`
        (a proximal grid's candidates all trained for this update)."""
        model, best_val_auc, kept_previous = keep_if_worse(
            init, trained.adapter, trained.best_val_auc, trained.start_val_auc
        )
        cost = trained.cost
        return FamilyTrainingResult(
            model=model,
            best_val_auc=best_val_auc,
            start_val_auc=trained.start_val_auc,
            kept_previous=kept_previous,
            samples_trained=sum(p.cost.samples_trained for p in paid),
            kept_step=0 if kept_previous else trained.best_step,
            tokens_trained=sum(p.cost.tokens_trained for p in paid),
            seconds=sum(p.cost.wall_seconds for p in paid),
            device=cost.device,
            extra={
                "best_step": trained.best_step,
                "optimizer_steps": sum(p.cost.optimizer_steps for p in paid),
                "stopped_early": trained.stopped_early,
                "dropped_too_long": cost.dropped_too_long,
                "val_history": [[p.step, p.auc] for p in trained.history],
                **extra,
            },
        )

    def save(self, model: Adapter, directory: Path) -> str:
        save_adapter(model, directory)
        return model.content_hash()

    def load(self, directory: Path) -> Adapter:
        return load_adapter(directory)

    def score(
        self, model: Adapter | None, samples: SampleSet, progress: BatchProgress | None = None
    ) -> np.ndarray:
        """P(Yes) with `model` (None: the untuned backbone)."""
        return score_prompts(
            self.backbone,
            self.prompts(samples),
            model,
            batch_size=self._config.lora.eval_batch_size,
            progress=progress,
        )

    def score_many(
        self,
        models: list[Adapter | None],
        samples: SampleSet,
        progress: BatchProgress | None = None,
    ) -> np.ndarray:
        """P(Yes) [len(models), n], as `score` for each model, all in one batched pass (LSAT-EN's
        long and short adapters on the same samples: 15% faster than two passes on CPU)."""
        return score_prompts_with_adapters(
            self.backbone,
            self.prompts(samples),
            models,
            batch_size=self._config.lora.eval_batch_size * len(models),
            progress=progress,
        )

    def device(self) -> str:
        return str(self.backbone.device)
