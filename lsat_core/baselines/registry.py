"""The classic baselines by name (docs/method.md section 5), and loading a saved one by its stored name."""

from __future__ import annotations

from pathlib import Path

from lsat_core.baselines.base import ClassicRecommender, read_saved_metadata
from lsat_core.baselines.caser import Caser
from lsat_core.baselines.deepmusic import DeepMusic
from lsat_core.baselines.gru4rec import GRU4Rec
from lsat_core.baselines.mf import MF
from lsat_core.baselines.sasrec import SASRec
from lsat_core.baselines.text_features import ItemTextFeatures
from lsat_core.errors import ConfigError, InputError

BASELINES: dict[str, type[ClassicRecommender]] = {
    "mf": MF,
    "deepmusic": DeepMusic,
    "gru4rec": GRU4Rec,
    "caser": Caser,
    "sasrec": SASRec,
}
TEXT_BASELINES = frozenset({"deepmusic"})
"""Baselines built with the items' text features."""


def build_baseline(
    name: str, *, text_features: ItemTextFeatures | None = None
) -> ClassicRecommender:
    """An untrained baseline; `text_features` is required by (and only given to) DeepMusic."""
    if name not in BASELINES:
        raise ConfigError(
            f"unknown baseline {name!r}; one of {', '.join(BASELINES)}", where="model"
        )
    if name in TEXT_BASELINES:
        if text_features is None:
            raise ConfigError(f"{name} needs the items' text features", where="text_features")
        return DeepMusic(text_features)
    return BASELINES[name]()


def load_baseline(
    path: str | Path, *, text_features: ItemTextFeatures | None = None
) -> ClassicRecommender:
    """Whichever baseline `path` holds (see `ClassicRecommender.save`), on the CPU."""
    name = read_saved_metadata(Path(path)).get("model")
    if name not in BASELINES:
        raise InputError(f"holds an unknown baseline {name!r}", where=path)
    if name not in TEXT_BASELINES:
        return BASELINES[name].load(path)
    if text_features is None:
        raise ConfigError(f"{name} needs the items' text features", where="text_features")
    return BASELINES[name].load(path, text_features=text_features)
