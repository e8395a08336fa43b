"""LSAT-TA (m): task arithmetic, one adapter lambda * long + (1 - lambda) * short scored in a
single pass, lambda chosen on val_t from {0, 0.1, ..., 1} (docs/method.md section 3). The reading is
the experiment's `ta_reading`: "ab" (the reference: lora_A and lora_B averaged separately) or
"product" (the updates B*A averaged)."""

from __future__ import annotations

import time

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, SHORT, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.evaluation.coefficients import COEFFICIENT_GRID, search_coefficient
from lsat_core.strategies.base import Strategy, UpdatedModel, served
from lsat_core.strategies.long_term import long_term_spec


class LsatTa(Strategy):
    name = "lsat_ta"
    family = LORA
    summary = "LSAT-TA: the long- and short-term LoRAs merged by lambda, chosen on val_t"
    test_scorings = 3  # the merged adapter and its two parts
    validation_scorings = len(COEFFICIENT_GRID)  # one merged adapter per point

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"long": long_term_spec(t, config), "short": ModelSpec(LORA, SHORT, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        from lsat_core.llm.merging import task_arithmetic  # torch: only when updating

        parts = self.components(t, bench.config)
        long, short = parts["long"], parts["short"]
        long_adapter, short_adapter = bench.model(long).model, bench.model(short).model
        reading = bench.config.ta_reading
        family = bench.family(LORA)
        val = bench.samples(t, "val")
        started = time.perf_counter()
        curve = search_coefficient(
            val.labels,
            lambda lam: family.score(
                task_arithmetic(long_adapter, short_adapter, lam, reading), val
            ),
        )
        merged = task_arithmetic(long_adapter, short_adapter, curve.best_coefficient, reading)
        return served(
            t,
            bench,
            {"long": long, "short": short},
            lambda samples: family.score(merged, samples),
            extra_seconds=time.perf_counter() - started,
            coefficient=curve.best_coefficient,
            curve=curve,
        )
