"""LSAT-TA with PEFT's merges (docs/method.md section 3): the long- and short-term LoRAs merged
by PEFT's `add_weighted_adapter` as TIES-Merging (`lsat_ta_ties`; Yadav et al., NeurIPS 2023),
DARE then TIES (`lsat_ta_dare`, PEFT's dare_ties; Yu et al., ICML 2024) or an SVD of the mixed
update (`lsat_ta_svd`), instead of LSAT-TA's plain weighted average. The mixing weight is chosen on
val_t from the same grid as LSAT-TA's lambda, the whole curve kept; every merge of the grid is
scored on val_t in one PEFT mixed-adapter pass (one adapter per batch row block).

The merge options (density, majority-sign method, SVD rank) are the experiment's
`merge_refresh`; DARE's random drop is seeded by the experiment's seed, the same draw for every
point of the grid, so the curve compares weights, not draws.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, cast

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.merge_refresh_config import MAJORITY_SIGN_METHODS
from lsat_core.engine.model_specs import LORA, SHORT, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.evaluation.coefficients import COEFFICIENT_GRID, search_coefficient
from lsat_core.strategies.base import Strategy, UpdatedModel, served
from lsat_core.strategies.knobs import Knob
from lsat_core.strategies.long_term import long_term_spec

if TYPE_CHECKING:  # the dashboard reads the registry without torch
    from lsat_core.engine.lora_family import LoraFamily

_SECTION = "docs/method.md section 3, Merges by PEFT"
MERGE_DENSITY = Knob(
    "merge_refresh",
    "merge_density",
    "--merge-density",
    "Merge density",
    "lsat_ta_ties and lsat_ta_dare: the share of each adapter's lora_A / lora_B entries kept "
    "(TIES: the largest; DARE: a random draw, rescaled); in (0, 1], 1 keeps every entry "
    f"({_SECTION}).",
    step=0.05,
)
MAJORITY_SIGN = Knob(
    "merge_refresh",
    "majority_sign_method",
    "--majority-sign",
    "Majority sign",
    "lsat_ta_ties and lsat_ta_dare: how each entry's sign is elected, total (by the summed "
    f"values, as TIES-Merging) or frequency (by the count of each sign) ({_SECTION}).",
    kind=str,
    choices=MAJORITY_SIGN_METHODS,
)
SVD_RANK = Knob(
    "merge_refresh",
    "svd_rank",
    "--svd-rank",
    "SVD rank",
    "lsat_ta_svd: rank the mixed update is cut back to; 0 is the adapters' rank r, else at "
    f"least 1 ({_SECTION}).",
    kind=int,
    zero_means="the adapters' rank",
    step=1,
)


class LsatTaPeftMerge(Strategy):
    family = LORA
    test_scorings = 3  # the merged adapter and its two parts
    validation_scorings = len(COEFFICIENT_GRID)  # one merged adapter per point, in one pass

    def __init__(
        self, name: str, combination_type: str, summary: str, knobs: tuple[Knob, ...]
    ) -> None:
        self.name, self.combination_type, self.summary = name, combination_type, summary
        self.knobs = knobs

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"long": long_term_spec(t, config), "short": ModelSpec(LORA, SHORT, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        from lsat_core.llm.merging import peft_merge  # torch: only when updating

        parts = self.components(t, bench.config)
        long, short = bench.model(parts["long"]).model, bench.model(parts["short"]).model
        family = cast("LoraFamily", bench.family(LORA))
        options = bench.config.merge_refresh
        val = bench.samples(t, "val")
        started = time.perf_counter()
        merged = {
            lam: peft_merge(
                family.backbone.host,
                long,
                short,
                lam,
                self.combination_type,
                density=options.merge_density,
                majority_sign_method=options.majority_sign_method,
                svd_rank=options.svd_rank,
                seed=bench.config.seed,
            )
            for lam in COEFFICIENT_GRID
        }
        rows = dict(zip(merged, family.score_many(list(merged.values()), val), strict=True))
        curve = search_coefficient(val.labels, rows.__getitem__)
        best = merged[curve.best_coefficient]
        return served(
            t,
            bench,
            parts,
            lambda samples: family.score(best, samples),
            extra_seconds=time.perf_counter() - started,
            coefficient=curve.best_coefficient,
            curve=curve,
        )


PEFT_MERGE_STRATEGIES = (
    LsatTaPeftMerge(
        "lsat_ta_ties",
        "ties",
        "LSAT-TA merged by TIES (PEFT): trimmed, sign-elected LoRAs, weight chosen on val_t",
        (MERGE_DENSITY, MAJORITY_SIGN),
    ),
    LsatTaPeftMerge(
        "lsat_ta_dare",
        "dare_ties",
        "LSAT-TA merged by DARE-TIES (PEFT): random drop and rescale, then TIES, on val_t",
        (MERGE_DENSITY, MAJORITY_SIGN),
    ),
    LsatTaPeftMerge(
        "lsat_ta_svd",
        "svd",
        "LSAT-TA merged by SVD (PEFT): the mixed update cut back to rank r, weight on val_t",
        (SVD_RANK,),
    ),
)
