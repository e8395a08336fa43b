"""What every update strategy delivers: the model it serves after updating at period t.

A strategy (one module each, registered in `lsat_core.strategies.registry`) has one entry
point, `update(t, bench)`, that asks the workbench for the models it needs (trained once and
shared by key) and returns an `UpdatedModel`. The period loop scores it on the tested periods and
records the results; strategies know nothing of protocols or the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import ModelSpec
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.engine.workbench import Workbench
from lsat_core.evaluation.coefficients import CoefficientCurve
from lsat_core.strategies.knobs import Knob


@dataclass(eq=False)
class UpdatedModel:
    score: Callable[[SampleSet], np.ndarray]
    """Scores (P(label = 1)) of the served model for a set of samples, in row order."""
    components: Mapping[str, ModelSpec]
    """The trained models it is made of, by role ("model" for a single one; "long" and "short"
    for LSAT), recorded separately when there are several."""
    seen_items: frozenset[str]
    """Items that are warm for it: targets of any data its components were trained on."""
    samples_trained: int
    tokens_trained: int | None
    train_seconds: float
    """Cost of this update: the training of the components made at this period."""
    update_seconds: float
    """From the period's data to the updated model serving: training plus coefficient search."""
    device: str
    coefficient: float | None = None
    """alpha (LSAT-EN) or lambda (LSAT-TA) chosen on the validation set of period t."""
    curve: CoefficientCurve | None = field(default=None, repr=False)


class Strategy(Protocol):
    """Declared without torch (the dashboard estimates work from the declarations): a module
    may import torch inside `update` only. Subclass it to inherit the default scorings."""

    name: str
    family: str
    """The model family it is scored with (`lsat_core.engine.model_specs.LORA` or a baseline)."""
    summary: str
    """One line for `lsat strategies`, `lsat run --help` and the launch form."""
    test_scorings: int = 1
    """Model scorings of a test set per update: more when parts are recorded beside the served
    model that are not scored on the way (a merged adapter and its two parts: 3)."""
    validation_scorings: int = 0
    """Scorings of val_t when the update chooses a coefficient (one per point of the grid when
    each point is a new model; two when the parts are scored once and mixed)."""
    knobs: tuple[Knob, ...] = ()
    """The settings of the experiment config it reads beyond the common ones, each with the
    option and form field users set it by (`lsat_core.strategies.knobs`)."""

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        """The trained models the update at t is made of, by role (known before training, so
        workers can train them in parallel and the dashboard can estimate the work)."""
        ...

    def update(self, t: int, bench: Workbench) -> UpdatedModel: ...


def served(
    t: int,
    bench: Workbench,
    components: Mapping[str, ModelSpec],
    score: Callable[[SampleSet], np.ndarray],
    *,
    extra_seconds: float = 0.0,
    coefficient: float | None = None,
    curve: CoefficientCurve | None = None,
) -> UpdatedModel:
    """Assemble an UpdatedModel; components made at period t carry the update's cost."""
    trained = [bench.model(spec) for spec in components.values()]
    made_now = {m.key: m for m in trained if m.spec.period == t}.values()
    train_seconds = sum(float(m.metrics.get("seconds") or 0.0) for m in made_now)
    tokens: list[int | None] = [m.metrics.get("tokens_trained") for m in made_now]
    family = bench.family(next(iter(components.values())).family)
    return UpdatedModel(
        score=score,
        components=dict(components),
        seen_items=bench.seen_items(list(components.values())),
        samples_trained=sum(int(m.metrics.get("samples_trained") or 0) for m in made_now),
        tokens_trained=None if None in tokens else sum(x or 0 for x in tokens),
        train_seconds=train_seconds,
        update_seconds=train_seconds + extra_seconds,
        device=family.device(),
        coefficient=coefficient,
        curve=curve,
    )


def single_model(t: int, bench: Workbench, spec: ModelSpec) -> UpdatedModel:
    """A strategy that serves one trained model as it is."""
    return served(t, bench, {"model": spec}, lambda samples: bench.scores(spec, samples))
