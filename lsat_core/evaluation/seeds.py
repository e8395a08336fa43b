"""Seeds as an axis of a comparison (docs/method.md section 9): runs that differ only in their
seed are one *variant* of a strategy; its headline is summarised over seeds, and two variants
are compared seed with seed.

Runs of one seed share their test samples (the sample budget draws them with its own seed), so
the paired test of two variants stacks every seed's cells on each tested period under one joint
DeLong covariance and adds the spread of the per-seed differences (`paired.over_seeds`).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from lsat_core.evaluation.paired import (
    AucDifference,
    between_seeds_variance,
    holm,
    over_seeds,
    pooled_from_components,
)
from lsat_core.evaluation.scored_cells import Cell, ScoredCell, ScoredKey, share_samples, stacked

SEED_SUMMARY_COLUMNS = (
    "variant",
    "strategy",
    "seeds",
    "per_seed",
    "mean_auc",
    "sd_auc",
    "min_auc",
    "max_auc",
    "mean_uauc",
    "sd_uauc",
    "min_uauc",
    "max_uauc",
)
SEED_PAIRED_COLUMNS = (
    "variant_a",
    "variant_b",
    "seeds",
    "cells",
    "auc_a",
    "auc_b",
    "difference",
    "sampling_sd",
    "seeds_sd",
    "ci_low",
    "ci_high",
    "z",
    "p_value",
    "p_holm",
)


def with_variants(results: pd.DataFrame) -> pd.DataFrame:
    """The results with a `variant` per run: the given one, or else the run's name; a run whose
    (variant, seed) another run has too becomes a variant of its own ("name #id"), as two runs
    of one seed cannot be two seeds of one variant."""
    if "variant" not in results:
        results = results.assign(variant=results["run_name"])
    runs = results.drop_duplicates("run_id")
    clash = runs.duplicated(["variant", "seed"], keep=False)
    if not clash.any():
        return results
    renamed = (
        runs[clash].set_index("run_id")["variant"]
        + " #"
        + runs[clash]["run_id"].astype(str).to_numpy()
    )
    variant = results["run_id"].map(renamed).fillna(results["variant"])
    return results.assign(variant=variant)


def seed_summary(headline: pd.DataFrame) -> pd.DataFrame:
    """Per variant with a headline: its seeds, each seed's headline AUC, and the mean, sample
    standard deviation (NaN for one seed) and range over seeds of the AUC and the uAUC."""
    shown = headline[headline["mean_auc"].notna()].sort_values(["run_id"])
    rows = []
    for variant, runs in shown.groupby("variant", sort=False):
        runs = runs.sort_values("seed")
        per_seed = ", ".join(
            f"{seed}: {auc:.4f}" for seed, auc in zip(runs["seed"], runs["mean_auc"], strict=True)
        )
        rows.append(
            {
                "variant": variant,
                "strategy": runs["strategy"].iloc[0],
                "seeds": len(runs),
                "per_seed": per_seed,
                **_spread(runs["mean_auc"], "auc"),
                **_spread(runs["mean_uauc"].dropna(), "uauc"),
            }
        )
    return pd.DataFrame(rows, columns=list(SEED_SUMMARY_COLUMNS)).astype(
        {name: "float64" for name in SEED_SUMMARY_COLUMNS[4:]}
    )


def seed_paired_tests(
    scored: dict[ScoredKey, ScoredCell], headline: pd.DataFrame, cells: tuple[Cell, ...]
) -> pd.DataFrame:
    """Between every two variants (in order of their first run), over the seeds both have whose
    runs share their test samples in every one of `cells`: the mean difference of AUCs over
    seeds and cells, its interval and p from `paired.over_seeds`; p Holm-adjusted over pairs."""
    runs = headline.sort_values("run_id")
    by_variant = {
        variant: dict(zip(group["seed"], group["run_id"], strict=True))
        for variant, group in runs.groupby("variant", sort=False)
    }
    periods = sorted({e for _, e in cells})
    rows = []
    for va, vb in itertools.combinations(by_variant, 2):
        a, b = by_variant[va], by_variant[vb]
        seeds = [s for s in sorted(set(a) & set(b)) if share_samples(scored, a[s], b[s], cells)]
        if not seeds:
            continue
        pooled = _pooled(scored, [a[s] for s in seeds], [b[s] for s in seeds], cells, periods)
        differences = [_pooled(scored, [a[s]], [b[s]], cells, periods).difference for s in seeds]
        test = over_seeds(pooled, differences)
        rows.append(
            {
                "variant_a": va,
                "variant_b": vb,
                "seeds": len(seeds),
                "cells": len(cells),
                "auc_a": test.auc_a,
                "auc_b": test.auc_b,
                "difference": test.difference,
                "sampling_sd": float(np.sqrt(pooled.variance)),
                "seeds_sd": float(np.sqrt(between_seeds_variance(differences))),
                "ci_low": test.ci_low,
                "ci_high": test.ci_high,
                "z": test.z,
                "p_value": test.p_value,
            }
        )
    paired = pd.DataFrame(rows, columns=list(SEED_PAIRED_COLUMNS[:-1]))
    paired["p_holm"] = holm(paired["p_value"].to_numpy()) if len(paired) else []
    return paired


def _pooled(
    scored: dict[ScoredKey, ScoredCell],
    runs_a: list[int],
    runs_b: list[int],
    cells: tuple[Cell, ...],
    periods: list[int],
) -> AucDifference:
    """The DeLong test of the mean over these runs' cells of AUC(a) - AUC(b), run i of a paired
    with run i of b."""
    return pooled_from_components(
        [(stacked(scored, runs_a, cells, e), stacked(scored, runs_b, cells, e)) for e in periods]
    )


def _spread(values: pd.Series, name: str) -> dict[str, Any]:
    if values.empty:
        return {f"{k}_{name}": np.nan for k in ("mean", "sd", "min", "max")}
    return {
        f"mean_{name}": values.mean(),
        f"sd_{name}": values.std(ddof=1) if len(values) > 1 else np.nan,
        f"min_{name}": values.min(),
        f"max_{name}": values.max(),
    }
