"""The classic baselines (docs/method.md section 5) and the floors (section 9) by name, and loading
a saved one by its stored name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from lsat_core.baselines.base import ClassicRecommender, FitResult, read_saved_metadata
from lsat_core.baselines.caser import Caser
from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.deepmusic import DeepMusic
from lsat_core.baselines.floor import FloorRecommender
from lsat_core.baselines.gru4rec import GRU4Rec
from lsat_core.baselines.logreg import LogReg
from lsat_core.baselines.mf import MF
from lsat_core.baselines.popularity import Popularity
from lsat_core.baselines.sasrec import SASRec
from lsat_core.baselines.text_features import ItemTextFeatures
from lsat_core.baselines.training import ValidationRecord
from lsat_core.errors import ConfigError, InputError

BASELINES: dict[str, type[ClassicRecommender]] = {
    "mf": MF,
    "deepmusic": DeepMusic,
    "gru4rec": GRU4Rec,
    "caser": Caser,
    "sasrec": SASRec,
}
FLOORS: dict[str, type[FloorRecommender]] = {"popularity": Popularity, "logreg": LogReg}
"""Reference recommenders refitted each period (no fine-tuning)."""
RECOMMENDERS: dict[str, type[ClassicRecommender] | type[FloorRecommender]] = {**BASELINES, **FLOORS}


class Recommender(Protocol):
    """What the engine asks of a baseline or a floor (`engine/classic_family.py`)."""

    @property
    def name(self) -> str: ...

    def fit(
        self,
        train_df: pd.DataFrame,
        val_df: pd.DataFrame,
        config: ClassicTrainConfig,
        init_state: Any = None,
        progress: Callable[[ValidationRecord], None] | None = None,
        device: Any = None,
    ) -> FitResult: ...

    def score(self, df: pd.DataFrame) -> np.ndarray: ...

    def save(self, path: str | Path) -> Path: ...


TEXT_BASELINES = frozenset({"deepmusic"})
"""Baselines built with the items' text features."""


def build_baseline(name: str, *, text_features: ItemTextFeatures | None = None) -> Recommender:
    """An untrained baseline or floor; `text_features` is required by (and only given to)
    DeepMusic."""
    if name not in RECOMMENDERS:
        raise ConfigError(
            f"unknown baseline {name!r}; one of {', '.join(RECOMMENDERS)}", where="model"
        )
    if name in TEXT_BASELINES:
        if text_features is None:
            raise ConfigError(f"{name} needs the items' text features", where="text_features")
        return DeepMusic(text_features)
    return RECOMMENDERS[name]()


def load_baseline(
    path: str | Path, *, text_features: ItemTextFeatures | None = None
) -> Recommender:
    """Whichever baseline or floor `path` holds (see `ClassicRecommender.save`), on the CPU."""
    name = read_saved_metadata(Path(path)).get("model")
    if name not in RECOMMENDERS:
        raise InputError(f"holds an unknown baseline {name!r}", where=path)
    if name not in TEXT_BASELINES:
        return RECOMMENDERS[name].load(path)
    if text_features is None:
        raise ConfigError(f"{name} needs the items' text features", where="text_features")
    return BASELINES[name].load(path, text_features=text_features)
