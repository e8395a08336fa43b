"""The served model's test scorings of a comparison, ready for paired tests: per (run, cell) its
samples in order and DeLong's structural components, computed once whatever the number of
pairs the run is in (docs/method.md section 9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lsat_core.errors import InputError
from lsat_core.evaluation.metrics import structural_components
from lsat_core.evaluation.paired import Components

Cell = tuple[int, int]
"""(train_period, eval_period)."""
ScoredKey = tuple[int, int, int]
"""(run id, train period, eval period)."""


@dataclass(frozen=True)
class ScoredCell:
    stream_id: int | None
    """The stream the samples are from: sample ids are positions in one stream."""
    sample_ids: np.ndarray
    """In ascending order; labels and components follow it."""
    labels: np.ndarray
    components: Components


def scored_cells(predictions: pd.DataFrame, cells: tuple[Cell, ...]) -> dict[ScoredKey, ScoredCell]:
    """(run, train period, eval period) -> that scoring's samples and DeLong components, for
    the served model's test scorings (`predictions_frame` rows, with the run's `stream_id` where
    runs may replay different streams) of `cells`."""
    served = predictions[(predictions["part"] == "test") & (predictions["role"] == "model")]
    wanted = served[in_cells(served, cells)].sort_values("sample_id")
    scored = {}
    for (run_id, train, evaluated), rows in wanted.groupby(
        ["run_id", "train_period", "eval_period"]
    ):
        labels = rows["label"].to_numpy(dtype=np.int64)
        scores = rows["score"].to_numpy(dtype=np.float64)
        stream = int(rows["stream_id"].iloc[0]) if "stream_id" in rows else None
        scored[(int(run_id), int(train), int(evaluated))] = ScoredCell(
            stream, rows["sample_id"].to_numpy(), labels, structural_components(labels, scores)
        )
    return scored


def share_samples(
    scored: dict[ScoredKey, ScoredCell], a: int, b: int, cells: tuple[Cell, ...]
) -> bool:
    """Whether runs a and b were scored on the same samples in every one of `cells`; an
    InputError when they store different labels for one same sample."""
    return bool(cells) and all(_same_samples(scored, a, b, cell) for cell in cells)


def stacked(
    scored: dict[ScoredKey, ScoredCell], run_ids: list[int], cells: tuple[Cell, ...], e: int
) -> Components:
    """The components of every cell tested on period e of these runs, one row per (run, cell)
    in that order: rows of one period share its samples (`paired.pooled_from_components`)."""
    on_period = [
        scored[(run_id, *cell)].components for run_id in run_ids for cell in cells if cell[1] == e
    ]
    return np.vstack([v10 for v10, _ in on_period]), np.vstack([v01 for _, v01 in on_period])


def in_cells(frame: pd.DataFrame, cells: tuple[Cell, ...]) -> pd.Series:
    keys = pd.MultiIndex.from_arrays([frame["train_period"], frame["eval_period"]])
    return pd.Series(keys.isin(list(cells)), index=frame.index)


def _same_samples(scored: dict[ScoredKey, ScoredCell], a: int, b: int, cell: Cell) -> bool:
    if (a, *cell) not in scored or (b, *cell) not in scored:
        return False
    first, second = scored[(a, *cell)], scored[(b, *cell)]
    if first.stream_id != second.stream_id:
        return False
    if not np.array_equal(first.sample_ids, second.sample_ids):
        return False
    if not np.array_equal(first.labels, second.labels):
        raise InputError(
            f"runs {a} and {b} store different labels for the same samples", where=f"cell {cell}"
        )
    return True
