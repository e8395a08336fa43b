"""The samples a model of a given spec trains on, drawn samples included (docs/method.md section 3).

Most roles train on whole parts (`ModelSpec.train_parts`). Two draw samples:
- replay adds `replay_ratio` times as many samples as its own parts hold, drawn uniformly from
  the earlier periods' training data (experience replay);
- sampled draws its whole training set, `sampled_budget` samples (default: as many as train_t),
  from full retraining's data, uniformly or weighted toward recent periods (DEALRec's point that
  a small, well-chosen subset carries most of the value, without its influence scores).
A draw is fixed by the pool, its size, its weighting and the seed, all named in the set's key;
a draw of at least the whole pool is the pool itself, so sampled retraining with a budget of
everything is full retraining, with its key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from lsat_core.engine.model_specs import REPLAY, SAMPLED, ModelSpec, Part
from lsat_core.engine.sample_sets import SampleSet, union
from lsat_core.engine.update_settings import UpdateSettings

PartSamples = Callable[[Part], SampleSet]
"""The samples of one part (the workbench's budgeted ones, or a family's whole parts)."""
_DRAW_CODES = {REPLAY: 1, SAMPLED: 2}


def training_set(
    spec: ModelSpec, settings: UpdateSettings, part: PartSamples, seed: int
) -> SampleSet:
    """What `spec` trains on, its parts read through `part`; `seed` fixes any draw."""
    if spec.role == SAMPLED:
        pool = [part(p) for p in spec.train_parts]
        size = settings.sampled_budget or len(part((spec.period, "train")))
        return drawn(pool, size, spec, settings, seed)
    whole = union([part(p) for p in spec.train_parts])
    if spec.replay_parts and settings.replay_ratio > 0:
        size = round(settings.replay_ratio * len(whole))
        if size > 0:
            earlier = [part(p) for p in spec.replay_parts]
            return union([whole, drawn(earlier, size, spec, settings, seed)])
    return whole


def training_size(spec: ModelSpec, settings: UpdateSettings, size: Callable[[Part], int]) -> int:
    """How many samples `training_set` gives, from the parts' sizes alone (for estimates)."""
    if spec.role == SAMPLED:
        pool = sum(size(p) for p in spec.train_parts)
        return min(pool, settings.sampled_budget or size((spec.period, "train")))
    whole = sum(size(p) for p in spec.train_parts)
    earlier = sum(size(p) for p in spec.replay_parts)
    return whole + min(earlier, round(settings.replay_ratio * whole))


def drawn(
    pool: Sequence[SampleSet], size: int, spec: ModelSpec, settings: UpdateSettings, seed: int
) -> SampleSet:
    """`size` samples of `pool` without replacement, in pool order; the whole pool when it
    holds no more than `size`. Only a sampled model weights by recency (replay is uniform)."""
    everything = union(list(pool))
    if size >= len(everything):
        return everything
    rng = np.random.default_rng([seed, spec.period, _DRAW_CODES[spec.role]])
    recency = spec.role == SAMPLED and settings.sampled_weighting == "recency"
    if recency:
        age = spec.period - everything.frame["period"].to_numpy(dtype=np.float64)
        weights = 2.0 ** (-age / settings.sampled_half_life)
        # Efraimidis and Spirakis (2006): the `size` largest u^(1/w) are a weighted draw
        # without replacement (successive sampling with probabilities proportional to w).
        keys = np.log(rng.random(len(everything))) / weights
        rows = np.sort(np.argpartition(-keys, size)[:size])
        how = f"recency{settings.sampled_half_life:g}"
    else:
        rows = np.sort(rng.choice(len(everything), size=size, replace=False))
        how = "uniform"
    return SampleSet(
        key=f"{spec.role}{size}-{how}-s{seed}({everything.key})",
        frame=pd.DataFrame(everything.frame.iloc[rows]),
    )
