"""Which planned models are one model, from the config alone (no stream, no torch).

The workbench keys a model by what determines its weights (`Workbench.model_key`: its training
and validation samples, its family's training settings, the seed and its parent's key), so
specs that train the same thing share one model and it is trained once: at t = 1 full
retraining, the short-term LoRA and the first fine-tuned model all train on train_1 and
validate on val_1 (docs/method.md section 3, "Models are shared"). The key needs the stream;
an estimate made before anything is built needs the same grouping without it, and the work plan
plans one training task per model by it (`lsat_core.runner.work_plan`). `weights_identity`
names a spec by the same ingredients, described instead of hashed: the parts its samples come
from (with any draw's size), its validation part, the settings its family trains it with, the
seed and its parent's identity. Specs with equal identities have equal keys (tested against
`Workbench.model_key`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable

from lsat_core.configs import config_to_dict
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, REPLAY, SAMPLED, ModelSpec, Part

PartSize = Callable[[Part], int | None]
"""Samples of a part (after the budget), None when unknown."""


def weights_identity(spec: ModelSpec, config: ExperimentConfig, size: PartSize) -> Hashable:
    """What determines `spec`'s weights, comparable across specs of one seed's config."""
    parent = spec.parent
    return (
        spec.family,
        _training_data(spec, config, size),
        spec.val_part,
        _training_settings(spec, config),
        config.seed,
        None if parent is None else weights_identity(parent, config, size),
    )


def unknown_size(part: Part) -> None:
    """A `PartSize` that knows no part: a draw is then never taken for its whole pool (a
    sampled model stays apart from full retraining's even when the budget covers the pool)."""
    return None


def trained_as(
    specs: Iterable[ModelSpec], config: ExperimentConfig, size: PartSize
) -> dict[ModelSpec, ModelSpec]:
    """Each spec -> the spec that trains its model: of the specs with one identity, the first by
    period, family and label."""
    chosen: dict[Hashable, ModelSpec] = {}
    return {
        spec: chosen.setdefault(weights_identity(spec, config, size), spec)
        for spec in sorted(specs, key=lambda s: (s.period, s.family, s.label()))
    }


def distinct_models(
    specs: Iterable[ModelSpec], config: ExperimentConfig, size: PartSize
) -> tuple[ModelSpec, ...]:
    """One spec per model the workbench trains (the first of each identity, by label)."""
    return tuple(dict.fromkeys(trained_as(specs, config, size).values()))


def _training_data(spec: ModelSpec, config: ExperimentConfig, size: PartSize) -> Hashable:
    """The parts the training set is the union of, or the draw that makes it
    (`lsat_core.engine.training_data.training_set`)."""
    settings = config.updates
    if spec.role == SAMPLED:
        pool = [size(part) for part in spec.train_parts]
        wanted = settings.sampled_budget or size((spec.period, "train"))
        known_pool = None if None in pool else sum(p for p in pool if p is not None)
        # A draw of at least the whole pool is the pool: full retraining's data, and its model.
        if wanted is not None and known_pool is not None and wanted >= known_pool:
            return ("parts", spec.train_parts)
        weighting = (settings.sampled_weighting, settings.sampled_half_life)
        return ("sampled", spec.train_parts, wanted, weighting)
    if spec.role == REPLAY and spec.replay_parts and settings.replay_ratio > 0:
        return ("replay", spec.train_parts, spec.replay_parts, settings.replay_ratio)
    return ("parts", spec.train_parts)


def _training_settings(spec: ModelSpec, config: ExperimentConfig) -> Hashable:
    """The family's settings for this spec (`ModelFamily.key_config`): a LoRA that continues a
    previous one trains with fine-tuning's cadence and patience, a proximal one with its pull;
    the classic families and floors train every spec alike."""
    if spec.family != LORA:
        return None
    lora = config.lora
    if spec.parent is not None:
        lora = dataclasses.replace(
            lora,
            patience=config.fine_tune_patience,
            eval_every=config.updates.fine_tune_eval_every,
        )
    return (repr(sorted(config_to_dict(lora).items())), spec.pulls(config.updates))
