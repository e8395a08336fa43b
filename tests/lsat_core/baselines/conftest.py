"""A planted-signal stream and baselines fitted on it once per session."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
import torch

from lsat_core.baselines.base import ClassicRecommender, FitResult
from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.registry import build_baseline
from lsat_core.baselines.synthetic import PlantedStream, planted_stream


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """These models are too small to gain from intra-op threads, and on a shared 2-core machine
    two OpenMP threads that wait on each other make a step many times slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def planted() -> PlantedStream:
    """Two periods of 4,000 samples; period 1 trains (3,600) and validates (400)."""
    return planted_stream(users=200, items=100, samples=8000, periods=2, seed=0)


@pytest.fixture(scope="session")
def planted_config() -> ClassicTrainConfig:
    # A smaller embedding and a larger step than the defaults only to keep the suite fast;
    # every model also learns the signal with the defaults, in more epochs.
    # Four epochs of patience: the planted signal is a pure interaction, so the loss sits on a
    # plateau for a few epochs before it falls (real ratings have main effects learned first).
    return ClassicTrainConfig(
        max_epochs=30, patience_epochs=4, embedding_size=32, learning_rate=3e-3
    )


@pytest.fixture(scope="session")
def planted_splits(planted: PlantedStream) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    first = planted.period(1)
    return first[first["split"] == "train"], first[first["split"] == "val"], planted.period(2)


@pytest.fixture(scope="session")
def fitted(
    planted: PlantedStream,
    planted_config: ClassicTrainConfig,
    planted_splits: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
) -> Callable[[str], tuple[ClassicRecommender, FitResult]]:
    """`fitted(name)`: that baseline trained on period 1, fitted on first use; do not mutate."""
    cache: dict[str, tuple[ClassicRecommender, FitResult]] = {}
    train, val, _ = planted_splits

    def get(name: str) -> tuple[ClassicRecommender, FitResult]:
        if name not in cache:
            model = build_baseline(name, text_features=planted.features)
            cache[name] = (model, model.fit(train, val, planted_config, device="cpu"))
        return cache[name]

    return get
