"""A comparison's report: runs side by side over the periods they were all tested on, with
paired tests between every two runs that share their test samples (docs/method.md section 9).

Pure pandas over `results_frame` and `predictions_frame` rows, so `lsat report` and the
dashboard's Compare page compute the same numbers from the same store.

- Headline cells: the (update period, tested period) results of the served model that every
  run has. When they hold all the protocol's summary cells, those are averaged, as the
  dashboard's headline does; otherwise the summary periods that were tested, or failing that
  every tested period, and the report's `note` says so.
- Headline interval: from the stored per-cell DeLong intervals; different periods add in
  variance, cells on one same period (fixed-target's D_T) add their standard errors as if
  perfectly correlated (an upper bound), as `app/analysis.py` does.
- Paired tests: per cell the paired DeLong test; over the headline cells the pooled difference
  (`pooled_paired_delong`, from each run's DeLong components computed once); the pooled
  p-values of all pairs Holm-adjusted together.
- Seeds (`seeds.py`): runs that differ only in seed are one variant; per variant the mean and
  spread of the headline over its seeds, and between two variants the paired test seed with
  seed, combined over seeds.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lsat_core.evaluation.paired import AucDifference, holm, pooled_from_components
from lsat_core.evaluation.protocols import plan_steps, summary_eval_periods
from lsat_core.evaluation.scored_cells import (
    Cell,
    ScoredCell,
    ScoredKey,
    in_cells,
    scored_cells,
    share_samples,
    stacked,
)
from lsat_core.evaluation.seeds import seed_paired_tests, seed_summary, with_variants

HEADLINE_COLUMNS = (
    "run_id",
    "run_name",
    "strategy",
    "variant",
    "seed",
    "mean_auc",
    "ci_low",
    "ci_high",
    "mean_uauc",
    "uauc_users",
    "cells",
)
PAIRED_COLUMNS = (
    "run_a",
    "run_b",
    "train_period",
    "eval_period",
    "auc_a",
    "auc_b",
    "difference",
    "ci_low",
    "ci_high",
    "z",
    "p_value",
)
POOLED_COLUMNS = (*PAIRED_COLUMNS[:2], "cells", *PAIRED_COLUMNS[4:], "p_holm")


@dataclass(frozen=True)
class ComparisonReport:
    protocol: str
    num_periods: int
    cells: tuple[Cell, ...]
    """The cells the headline averages and the paired tests pool."""
    standard: bool
    """Whether those are all of the protocol's summary cells."""
    note: str | None
    """What the headline covers when it is not the protocol's standard periods."""
    headline: pd.DataFrame
    """One row per run: HEADLINE_COLUMNS."""
    paired: pd.DataFrame
    """One row per pair of runs sharing their test samples: POOLED_COLUMNS."""
    paired_cells: pd.DataFrame
    """One row per such pair and cell: PAIRED_COLUMNS."""
    seeds: pd.DataFrame
    """One row per variant (a strategy's runs that differ only in seed): the mean and spread
    of its runs' headline AUC and uAUC over seeds (`seeds.SEED_SUMMARY_COLUMNS`)."""
    seed_paired: pd.DataFrame
    """One row per two variants with seeds in common, paired seed with seed and combined over
    seeds (`seeds.SEED_PAIRED_COLUMNS`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN as None)."""
        return {
            "protocol": self.protocol,
            "num_periods": self.num_periods,
            "cells": [list(c) for c in self.cells],
            "standard": self.standard,
            "note": self.note,
            "headline": _records(self.headline),
            "paired": _records(self.paired),
            "paired_cells": _records(self.paired_cells),
            "seeds": _records(self.seeds),
            "seed_paired": _records(self.seed_paired),
        }


def comparison_report(
    results: pd.DataFrame, predictions: pd.DataFrame, protocol: str, num_periods: int
) -> ComparisonReport:
    """The report of these runs' results (`results_frame`) and test predictions of the served
    model (`predictions_frame`). A `variant` column in the results groups runs that differ
    only in seed (`lsat_core.store.queries.comparison` adds it); without one, runs of one name
    are the seeds of one variant."""
    results = with_variants(results)
    served = results[(results["role"] == "model") & (results["segment"] == "all")]
    served = served[served["auc"].notna()]
    cells, standard, note = headline_cells(served, protocol, num_periods)
    chosen = served[in_cells(served, cells)]
    scored = scored_cells(predictions, cells)
    paired_cells, paired = paired_tests(scored, sorted(served["run_id"].unique()), cells)
    headline = headline_table(results, chosen)
    return ComparisonReport(
        protocol=protocol,
        num_periods=num_periods,
        cells=cells,
        standard=standard,
        note=note,
        headline=headline,
        paired=paired,
        paired_cells=paired_cells,
        seeds=seed_summary(headline),
        seed_paired=seed_paired_tests(scored, headline, cells),
    )


def headline_cells(
    served: pd.DataFrame, protocol: str, num_periods: int
) -> tuple[tuple[Cell, ...], bool, str | None]:
    """The cells every run was tested on that the headline averages, whether they are the
    protocol's standard ones, and a note when they are not."""
    runs = served.groupby("run_id")
    tested = [set(zip(g["train_period"], g["eval_period"], strict=True)) for _, g in runs]
    common = set.intersection(*tested) if tested else set()
    periods = summary_eval_periods(protocol, num_periods)
    planned = {
        (step.train_period, e)
        for step in plan_steps(protocol, num_periods)
        for e in step.eval_periods
        if e in periods
    }
    if planned <= common:
        return tuple(sorted(planned)), True, None
    standard = {c for c in common if c[1] in periods}
    chosen = standard or common
    shown = _periods_text({e for _, e in planned})
    if not chosen:
        return (), False, "no period was tested by every run: no headline"
    if standard:
        note = f"the protocol's summary periods {shown} were not all tested by every run"
    else:
        note = f"none of the protocol's summary periods {shown} was tested by every run"
    return (
        tuple(sorted(chosen)),
        False,
        f"{note}; the headline averages tested periods " + (_periods_text({e for _, e in chosen})),
    )


def headline_table(results: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """Per run: mean AUC over the chosen cells with its 95% interval, mean uAUC and the users
    it averages per cell; runs without a chosen cell have NaN."""
    identity = ["run_name", "strategy", "variant", "seed"]
    runs = results.drop_duplicates("run_id").set_index("run_id")[identity]
    # A stored interval is auc -/+ z*se clipped to [0, 1]: the unclipped side gives z*se.
    half = pd.concat([chosen["auc"] - chosen["ci_low"], chosen["ci_high"] - chosen["auc"]], axis=1)
    z_se = half.max(axis=1).groupby([chosen["run_id"], chosen["eval_period"]]).sum()
    means = chosen.groupby("run_id").agg(
        mean_auc=("auc", "mean"),
        mean_uauc=("uauc", "mean"),
        uauc_users=("uauc_users", "mean"),
        cells=("auc", "size"),
    )
    half_mean = (z_se**2).groupby(level="run_id").sum() ** 0.5 / means["cells"]
    # Clipped to [0, 1] as every stored AUC interval is (docs/method.md section 9).
    means["ci_low"] = (means["mean_auc"] - half_mean).clip(lower=0.0)
    means["ci_high"] = (means["mean_auc"] + half_mean).clip(upper=1.0)
    table = runs.join(means).reset_index()
    table["cells"] = table["cells"].fillna(0).astype(int)
    table["uauc_users"] = table["uauc_users"].astype("float64")
    return table.sort_values("run_id", ignore_index=True)[list(HEADLINE_COLUMNS)]


def paired_tests(
    scored: dict[ScoredKey, ScoredCell], run_ids: list[int], cells: tuple[Cell, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per cell and pooled over `cells`, the paired DeLong test of every two runs (lower id
    first) that were scored (`scored_cells`) on the same samples in every one of the cells."""
    periods = sorted({e for _, e in cells})
    per_cell: list[dict[str, Any]] = []
    pooled: list[dict[str, Any]] = []
    for a, b in itertools.combinations(run_ids, 2):
        if not share_samples(scored, a, b, cells):
            continue
        for cell in cells:
            pair = [(scored[(a, *cell)].components, scored[(b, *cell)].components)]
            test = pooled_from_components(pair)
            per_cell.append({"run_a": a, "run_b": b, "train_period": cell[0]} | _fields(test, cell))
        by_period = [
            (stacked(scored, [a], cells, e), stacked(scored, [b], cells, e)) for e in periods
        ]
        test = pooled_from_components(by_period)
        pooled.append({"run_a": a, "run_b": b, "cells": len(cells)} | _fields(test, None))
    paired_cells = pd.DataFrame(per_cell, columns=list(PAIRED_COLUMNS))
    paired = pd.DataFrame(pooled, columns=list(POOLED_COLUMNS[:-1]))
    paired["p_holm"] = holm(paired["p_value"].to_numpy()) if len(paired) else []
    return paired_cells, paired


def _fields(test: AucDifference, cell: Cell | None) -> dict[str, Any]:
    fields = asdict(test)
    del fields["variance"]
    return fields | ({"eval_period": cell[1]} if cell else {})


def _periods_text(periods: set[int]) -> str:
    return ", ".join(f"D_{p}" for p in sorted(periods))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else _plain(v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
