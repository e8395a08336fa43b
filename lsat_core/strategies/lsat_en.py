"""LSAT-EN (m): output ensemble of the long-term and the short-term LoRA,
alpha * P_long(Yes) + (1 - alpha) * P_short(Yes), alpha chosen on val_t from {0, 0.1, ..., 1}
with the whole curve kept (docs/method.md section 3). `LsatEnFull` uses full retraining at t as the
long-term LoRA (LSAT-EN (full))."""

from __future__ import annotations

import time

import numpy as np

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FULL, LORA, SHORT, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.evaluation.coefficients import ensemble_scores, search_coefficient
from lsat_core.strategies.base import Strategy, UpdatedModel, served
from lsat_core.strategies.long_term import long_term_spec


def ensemble(t: int, bench: Workbench, long: ModelSpec, short: ModelSpec) -> UpdatedModel:
    val = bench.samples(t, "val")
    long_val, short_val = bench.scores_together([long, short], val)
    started = time.perf_counter()
    curve = search_coefficient(val.labels, lambda a: ensemble_scores(long_val, short_val, a))
    alpha = curve.best_coefficient
    return served(
        t,
        bench,
        {"long": long, "short": short},
        lambda samples: _mixed(bench.scores_together([long, short], samples), alpha),
        extra_seconds=time.perf_counter() - started,
        coefficient=alpha,
        curve=curve,
    )


def _mixed(parts: list[np.ndarray], alpha: float) -> np.ndarray:
    long, short = parts
    return ensemble_scores(long, short, alpha)


class LsatEn(Strategy):
    name = "lsat_en"
    family = LORA
    summary = "LSAT-EN: the long- and short-term LoRAs' scores mixed by alpha, chosen on val_t"
    test_scorings = 2  # each part once; the served scores are their mix
    validation_scorings = 2

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"long": long_term_spec(t, config), "short": ModelSpec(LORA, SHORT, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return ensemble(t, bench, **self.components(t, bench.config))


class LsatEnFull(Strategy):
    name = "lsat_en_full"
    family = LORA
    summary = "LSAT-EN with full retraining at t as its long-term LoRA"
    test_scorings = 2
    validation_scorings = 2

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"long": ModelSpec(LORA, FULL, t), "short": ModelSpec(LORA, SHORT, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return ensemble(t, bench, **self.components(t, bench.config))
