"""In-context baseline (BookGPT-style, docs/method.md section 5): the base LLM, untuned, given the
user's latest interactions, scored by P(Yes). Nothing is trained, so it costs nothing to update.

The prompt is the TALLRec prompt of the sample (its ten-item history). With
`in_context_recent_positives` = k > 0, the user's k most recent liked items beyond that history
are added to the preference list, oldest first: targets the user rated positively in samples
earlier in the stream than the scored one (the stream keeps time order, docs/method.md section 1),
so neither the target nor anything after it can leak in. They are older than the history, since
the history holds the user's ten latest interactions; only interactions inside the stream count.

Warm items: the untuned model saw no data, so (docs/method.md section 1) every item is cold and the
warm segment empty. We label items as full retraining at t does instead (targets of
train_1..train_t plus val_1..val_{t-1}), so that the warm and cold rows of this baseline cover
the same test samples as those of the models it is compared with; the fixed-target protocol
applies its own split to every strategy anyway.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FULL, LORA, ModelSpec
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.engine.workbench import Workbench
from lsat_core.strategies.base import Strategy, UpdatedModel


def with_recent_positives(samples: pd.DataFrame, stream: pd.DataFrame, k: int) -> pd.DataFrame:
    """`samples` with each history extended, at its old end, by the user's k latest liked
    targets of `stream` before the sample (by sample_id), minus the history's items and the
    target."""
    liked = stream.loc[stream["label"] == 1, ["user", "sample_id", "item", "rating"]]
    liked = liked.sort_values(["user", "sample_id"], kind="stable")
    by_user = {
        user: (rows["sample_id"].to_numpy(), rows["item"].to_numpy(), rows["rating"].to_numpy())
        for user, rows in liked.groupby("user", sort=False)
    }
    items, ratings = [], []
    columns = ("user", "sample_id", "item", "hist_items", "hist_ratings")
    for user, sample_id, target, hist_items, hist_ratings in zip(
        *(samples[c] for c in columns), strict=True
    ):
        ids, liked_items, liked_ratings = by_user.get(user, (np.empty(0), (), ()))
        skip = {*hist_items, target}
        picked: list[int] = []
        for row in range(int(np.searchsorted(ids, sample_id, side="left")) - 1, -1, -1):
            if len(picked) == k:
                break
            if liked_items[row] not in skip:
                picked.append(row)
        picked.reverse()  # oldest first, as a history is
        items.append([liked_items[r] for r in picked] + list(hist_items))
        ratings.append([float(liked_ratings[r]) for r in picked] + list(hist_ratings))
    return samples.assign(hist_items=items, hist_ratings=ratings)


class InContext(Strategy):
    name = "in_context"
    family = LORA
    """Scored by the LoRA family's backbone with no adapter."""
    summary = "the untuned base LLM prompted with the user's latest interactions; trains nothing"

    def __init__(self) -> None:
        # Scores per workbench and sample set: the untuned model is the same at every t, and
        # the fixed-target protocol tests it on D_T once per update period.
        self._scores: weakref.WeakKeyDictionary[Workbench, dict[str, np.ndarray]] = (
            weakref.WeakKeyDictionary()
        )

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {}

    def prompt_samples(self, samples: SampleSet, bench: Workbench) -> SampleSet:
        k = bench.config.in_context_recent_positives
        if k == 0:
            return samples
        frame = with_recent_positives(samples.frame, bench.stream.samples, k)
        return SampleSet(key=f"{samples.key}+liked{k}", frame=frame)

    def score(self, samples: SampleSet, bench: Workbench) -> np.ndarray:
        cache = self._scores.setdefault(bench, {})
        if samples.key not in cache:
            cache[samples.key] = bench.family(LORA).score(None, self.prompt_samples(samples, bench))
        return cache[samples.key]

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        return UpdatedModel(
            score=lambda samples: self.score(samples, bench),
            components={},
            seen_items=bench.seen_items([ModelSpec(LORA, FULL, t)]),
            samples_trained=0,
            tokens_trained=0,
            train_seconds=0.0,
            update_seconds=0.0,
            device=bench.family(LORA).device(),
        )
