"""What the strategies of one experiment share: samples, trained models and their scores.

`model(spec)` is get-or-train by key: a model already in the store (status ready, files on disk)
is loaded, otherwise it is claimed in the store, trained, written once to a folder named by its
content (`model_folders`) and marked ready.
So a model needed by several strategies, runs or experiments is trained once, and a rerun after a
crash finds what was already trained. Scores are kept in memory per (model, sample set).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lsat_core.configs import config_hash
from lsat_core.data.stream import Stream
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.families import (
    BatchProgress,
    FamilyTrainingResult,
    ModelFamily,
    ProgressSink,
)
from lsat_core.engine.model_folders import (
    check_model_folder,
    collect_other_folders,
    write_model_folder,
)
from lsat_core.engine.model_specs import ModelSpec
from lsat_core.engine.sample_sets import SampleSet, period_part
from lsat_core.engine.training_data import training_set
from lsat_core.errors import InputError, LsatError
from lsat_core.store.artifacts import (
    ArtifactClaim,
    claim_artifact,
    complete_artifact,
    fail_artifact,
    invalidate_artifact,
)
from lsat_core.store.engine import session_scope
from lsat_core.store.learning_curves import CurveModel, CurveRecorder, finish_curve
from lsat_core.store.models import ArtifactStatus

STALE_CLAIM = timedelta(hours=6)
"""A claim older than this is taken over: its owner is presumed dead."""


ReadyHook = Callable[[Session, ModelSpec, Mapping[str, Any]], None]
"""Takes the session marking a model this workbench trained ready, its spec and its metrics."""


def _no_progress(what: str, done: int, total: int) -> None:
    return None


def _nothing_on_ready(session: Session, spec: ModelSpec, metrics: Mapping[str, Any]) -> None:
    return None


class ModelBusyError(LsatError):
    """Another process holds the claim on a model this one needs."""


@dataclass(eq=False)
class TrainedModel:
    spec: ModelSpec
    key: str
    model: Any
    metrics: Mapping[str, Any]
    trained_now: bool
    """Trained by this call (False: loaded from the store)."""


@dataclass(eq=False)
class Workbench:
    config: ExperimentConfig
    stream: Stream
    families: Mapping[str, ModelFamily]
    engine: Engine
    models_dir: Path
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:in-process")
    """Claims by the same owner are re-acquired: a rerun on this host resumes its own work."""
    progress: ProgressSink = _no_progress
    experiment_id: int | None = None
    """The experiment whose work this is: the learning curves of the models it trains say so."""
    on_ready: ReadyHook = _nothing_on_ready
    """Called inside the transaction that marks a model this workbench trained ready: what it
    writes (a worker task's "finished train" event) commits with the ready row or not at all."""
    _sets: dict[tuple[int, str], SampleSet] = field(default_factory=dict, init=False)
    _train_sets: dict[ModelSpec, SampleSet] = field(default_factory=dict, init=False)
    _models: dict[str, TrainedModel] = field(default_factory=dict, init=False)
    _scores: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, init=False)

    def samples(self, period: int, part: str) -> SampleSet:
        if (period, part) not in self._sets:
            self._sets[(period, part)] = period_part(self.stream, self.config.budget, period, part)
        return self._sets[(period, part)]

    def family(self, name: str) -> ModelFamily:
        return self.families[name]

    def train_set(self, spec: ModelSpec) -> SampleSet:
        """The samples `spec` is handed to train on (`training_data.training_set`)."""
        if spec not in self._train_sets:
            self._train_sets[spec] = training_set(
                spec, self.config.updates, lambda part: self.samples(*part), self.config.seed
            )
        return self._train_sets[spec]

    def model_key(self, spec: ModelSpec) -> str:
        """Names a model by what determines its weights: the samples it trains and validates
        on (not the test budget), its family's training settings, the seed and the model it
        continues. Not by role: full retraining and the short-term LoRA at t = 1, or replay
        with a ratio of 0 and fine-tuning, train the same thing and share one model. (Keys
        before this scheme named the role and the whole budget: such a model is trained again
        under its new key; the old row and folder stay unused.)"""
        family = self.family(spec.family)
        payload = {
            "stream": self.stream.key,
            "family": spec.family,
            "train": self.train_set(spec).key,
            "val": self.samples(*spec.val_part).key,
            "seed": self.config.seed,
            "parent": self.model_key(spec.parent) if spec.parent is not None else None,
            **family.key_config(spec),
        }
        return f"{spec.family}-t{spec.period}-{config_hash(_Frozen(payload))}"

    def model(self, spec: ModelSpec) -> TrainedModel:
        """The trained model of `spec`: from memory, from the store, or trained now."""
        key = self.model_key(spec)
        if key in self._models:
            return self._models[key]
        parent = self.model(spec.parent) if spec.parent is not None else None
        family = self.family(spec.family)
        trained = self._load(spec, key, family)
        if trained is None:
            trained = self._train(spec, key, family, parent)
        # Later calls (a task delivered again to this worker) did not train it.
        self._models[key] = replace(trained, trained_now=False)
        return trained

    def _claim(self, spec: ModelSpec, key: str, family: ModelFamily) -> ArtifactClaim:
        with session_scope(self.engine) as session:
            return claim_artifact(
                session,
                key,
                self.owner,
                kind=spec.family,
                config=_json_safe(family.key_config(spec)),
                trained_as=spec.label(),
                stale_after=STALE_CLAIM,
            )

    def _load(self, spec: ModelSpec, key: str, family: ModelFamily) -> TrainedModel | None:
        """The stored model of `spec`, or None when this owner holds its claim and must train it.

        A model recorded as ready whose files are missing or unreadable (a data folder restored
        without them, a deleted file) is marked failed in the store and claimed again, so it is
        retrained once instead of failing every run that needs it; the retraining replaces the
        incomplete folder (`write_model_folder`).
        """
        claim = self._claim(spec, key, family)
        if claim.acquired:
            return None
        artifact = claim.artifact
        if artifact.status != ArtifactStatus.READY:
            raise ModelBusyError(f"model {key} is being trained by {artifact.claimed_by}")
        try:
            if not artifact.path:
                raise InputError("no path recorded", where=f"model {key}")
            check_model_folder(Path(artifact.path))
            model = family.load(Path(artifact.path))
        except (OSError, InputError) as exc:
            with session_scope(self.engine) as session:
                invalidate_artifact(
                    session,
                    key,
                    artifact.path,
                    f"stored files unusable: {type(exc).__name__}: {exc}",
                )
            if self._claim(spec, key, family).acquired:
                return None
            raise ModelBusyError(f"model {key}: files unusable, another owner claimed it") from exc
        return TrainedModel(spec, key, model, artifact.metrics or {}, False)

    def _train(
        self,
        spec: ModelSpec,
        key: str,
        family: ModelFamily,
        parent: TrainedModel | None,
    ) -> TrainedModel:
        try:
            train = self.train_set(spec)
            val = self.samples(*spec.val_part)
            curve = CurveRecorder(
                self.engine,
                CurveModel(
                    key, spec.label(), spec.family, spec.role, spec.period, self.experiment_id
                ),
            )
            curve.start()
            outcome: FamilyTrainingResult = family.train(
                spec, train, val, parent.model if parent else None, self.progress, curve=curve
            )
            curve.flush()
            directory, sha256 = write_model_folder(
                self.models_dir / key, lambda folder: family.save(outcome.model, folder)
            )
        except BaseException as exc:
            with session_scope(self.engine) as session:
                fail_artifact(session, key, self.owner, f"{type(exc).__name__}: {exc}")
            raise
        metrics = outcome.metrics()
        with session_scope(self.engine) as session:
            complete_artifact(
                session, key, self.owner, path=str(directory), sha256=sha256, metrics=metrics
            )
            finish_curve(session, key, outcome.kept_step)
            self.on_ready(session, spec, metrics)
        collect_other_folders(directory, staging_older_than=STALE_CLAIM)
        return TrainedModel(spec, key, outcome.model, metrics, True)

    def served_key(self, spec: ModelSpec) -> str:
        """The key of the weights `spec` serves: its own, or, for a model that kept its parent
        (fine-tuning made validation worse, docs/method.md section 3), the parent's. Scores are
        cached under it, so the kept weights are scored once for every role that serves them."""
        if spec.parent is not None and self._kept_parent(spec):
            return self.served_key(spec.parent)
        return self.model(spec).key

    def _kept_parent(self, spec: ModelSpec) -> bool:
        """Fine-tuning `spec` made validation worse, so it serves its parent's weights."""
        return bool(self.model(spec).metrics.get("kept_previous"))

    def scores(self, spec: ModelSpec, samples: SampleSet) -> np.ndarray:
        """Scores of the trained model of `spec` on `samples` (cached)."""
        trained = self.model(spec)
        cache_key = (self.served_key(spec), samples.key)
        if cache_key not in self._scores:
            self._scores[cache_key] = self.family(spec.family).score(
                trained.model, samples, self._scoring_progress([spec], samples)
            )
        return self._scores[cache_key]

    def scores_together(self, specs: list[ModelSpec], samples: SampleSet) -> list[np.ndarray]:
        """`scores` of several models on the same samples; those of one family not cached yet
        are scored in one pass (LSAT-EN's two LoRA adapters: one mixed-adapter batch)."""
        served = {self.served_key(spec): self.model(spec) for spec in specs}
        for family in {spec.family for spec in specs}:
            missing = {
                key: t
                for key, t in served.items()
                if t.spec.family == family and (key, samples.key) not in self._scores
            }
            if len(missing) > 1:
                rows = self.family(family).score_many(
                    [t.model for t in missing.values()],
                    samples,
                    self._scoring_progress([t.spec for t in missing.values()], samples),
                )
                for key, row in zip(missing, rows, strict=True):
                    self._scores[(key, samples.key)] = row
        return [self.scores(spec, samples) for spec in specs]

    def _scoring_progress(self, specs: list[ModelSpec], samples: SampleSet) -> BatchProgress:
        """A scoring's batches as `progress` reports, named by its models and samples (an
        evaluation reports its steps as a training does, not only its time)."""
        what = f"score {'+'.join(spec.label() for spec in specs)} on {samples.key}"
        return lambda done, total: self.progress(what, done, total)

    def seen_items(self, specs: list[ModelSpec]) -> frozenset[str]:
        """Items that are targets of what the served models were trained on (warm items,
        docs/method.md section 1): a model's own training samples as its family trains on them,
        plus its ancestors'. A model that kept its parent (fine-tuning made validation worse)
        serves the parent's weights, so it has seen only what the parent has."""
        found: set[str] = set()
        for spec in specs:
            found.update(self._seen(spec))
        return frozenset(found)

    def _seen(self, spec: ModelSpec) -> frozenset[str]:
        if spec.parent is None:
            own = self.family(spec.family).training_set(spec, self.train_set(spec))
            return frozenset(own.frame["item"].unique())
        inherited = self._seen(spec.parent)
        if self._kept_parent(spec):
            return inherited
        own = self.family(spec.family).training_set(spec, self.train_set(spec))
        return inherited | frozenset(own.frame["item"].unique())


@dataclass(frozen=True)
class _Frozen:
    """Wraps a dict so `config_hash` (which takes dataclasses) can hash it."""

    payload: dict[str, Any]


def _json_safe(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value, default=str))
