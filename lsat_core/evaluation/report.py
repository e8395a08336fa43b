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
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lsat_core.errors import InputError
from lsat_core.evaluation.metrics import structural_components
from lsat_core.evaluation.paired import AucDifference, Components, holm, pooled_from_components
from lsat_core.evaluation.protocols import plan_steps, summary_eval_periods

Cell = tuple[int, int]
"""(train_period, eval_period)."""
HEADLINE_COLUMNS = (
    "run_id",
    "run_name",
    "strategy",
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
        }


def comparison_report(
    results: pd.DataFrame, predictions: pd.DataFrame, protocol: str, num_periods: int
) -> ComparisonReport:
    """The report of these runs' results (`results_frame`) and test predictions of the served
    model (`predictions_frame`)."""
    served = results[(results["role"] == "model") & (results["segment"] == "all")]
    served = served[served["auc"].notna()]
    cells, standard, note = headline_cells(served, protocol, num_periods)
    chosen = served[_in_cells(served, cells)]
    paired_cells, paired = paired_tests(predictions, sorted(served["run_id"].unique()), cells)
    return ComparisonReport(
        protocol=protocol,
        num_periods=num_periods,
        cells=cells,
        standard=standard,
        note=note,
        headline=headline_table(results, chosen),
        paired=paired,
        paired_cells=paired_cells,
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
    runs = results.drop_duplicates("run_id").set_index("run_id")[["run_name", "strategy", "seed"]]
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
    means["ci_low"] = means["mean_auc"] - half_mean
    means["ci_high"] = means["mean_auc"] + half_mean
    table = runs.join(means).reset_index()
    table["cells"] = table["cells"].fillna(0).astype(int)
    table["uauc_users"] = table["uauc_users"].astype("float64")
    return table.sort_values("run_id", ignore_index=True)[list(HEADLINE_COLUMNS)]


def paired_tests(
    predictions: pd.DataFrame, run_ids: list[int], cells: tuple[Cell, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per cell and pooled over `cells`, the paired DeLong test of every two runs (lower id
    first) that were scored on the same samples in every one of the cells."""
    scored = _scored_cells(predictions, cells)
    periods = sorted({e for _, e in cells})
    per_cell: list[dict[str, Any]] = []
    pooled: list[dict[str, Any]] = []
    for a, b in itertools.combinations(run_ids, 2):
        if not cells or not all(_same_samples(scored, a, b, cell) for cell in cells):
            continue
        for cell in cells:
            pair = [(scored[(a, *cell)].components, scored[(b, *cell)].components)]
            test = pooled_from_components(pair)
            per_cell.append({"run_a": a, "run_b": b, "train_period": cell[0]} | _fields(test, cell))
        by_period = [
            (_stacked(scored, a, cells, e), _stacked(scored, b, cells, e)) for e in periods
        ]
        test = pooled_from_components(by_period)
        pooled.append({"run_a": a, "run_b": b, "cells": len(cells)} | _fields(test, None))
    paired_cells = pd.DataFrame(per_cell, columns=list(PAIRED_COLUMNS))
    paired = pd.DataFrame(pooled, columns=list(POOLED_COLUMNS[:-1]))
    paired["p_holm"] = holm(paired["p_value"].to_numpy()) if len(paired) else []
    return paired_cells, paired


@dataclass(frozen=True)
class _ScoredCell:
    sample_ids: np.ndarray
    """In ascending order; labels and components follow it."""
    labels: np.ndarray
    components: Components
    """Computed once per run and cell, whatever the number of pairs it is in."""


def _scored_cells(
    predictions: pd.DataFrame, cells: tuple[Cell, ...]
) -> dict[tuple[int, int, int], _ScoredCell]:
    """(run, train period, eval period) -> that scoring's samples and DeLong components."""
    served = predictions[(predictions["part"] == "test") & (predictions["role"] == "model")]
    wanted = served[_in_cells(served, cells)].sort_values("sample_id")
    scored = {}
    for (run_id, train, evaluated), rows in wanted.groupby(
        ["run_id", "train_period", "eval_period"]
    ):
        labels = rows["label"].to_numpy(dtype=np.int64)
        scores = rows["score"].to_numpy(dtype=np.float64)
        scored[(int(run_id), int(train), int(evaluated))] = _ScoredCell(
            rows["sample_id"].to_numpy(), labels, structural_components(labels, scores)
        )
    return scored


def _stacked(
    scored: dict[tuple[int, int, int], _ScoredCell], run_id: int, cells: tuple[Cell, ...], e: int
) -> Components:
    """One run's components of every cell tested on period e, one row per cell."""
    on_period = [scored[(run_id, *cell)].components for cell in cells if cell[1] == e]
    return np.vstack([v10 for v10, _ in on_period]), np.vstack([v01 for _, v01 in on_period])


def _same_samples(
    scored: dict[tuple[int, int, int], _ScoredCell], a: int, b: int, cell: Cell
) -> bool:
    if (a, *cell) not in scored or (b, *cell) not in scored:
        return False
    first, second = scored[(a, *cell)], scored[(b, *cell)]
    if not np.array_equal(first.sample_ids, second.sample_ids):
        return False
    if not np.array_equal(first.labels, second.labels):
        raise InputError(
            f"runs {a} and {b} store different labels for the same samples", where=f"cell {cell}"
        )
    return True


def _fields(test: AucDifference, cell: Cell | None) -> dict[str, Any]:
    fields = asdict(test)
    del fields["variance"]
    return fields | ({"eval_period": cell[1]} if cell else {})


def _in_cells(frame: pd.DataFrame, cells: tuple[Cell, ...]) -> pd.Series:
    keys = pd.MultiIndex.from_arrays([frame["train_period"], frame["eval_period"]])
    return pd.Series(keys.isin(list(cells)), index=frame.index)


def _periods_text(periods: set[int]) -> str:
    return ", ".join(f"D_{p}" for p in sorted(periods))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else _plain(v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
