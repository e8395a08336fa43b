"""A model family without a model, and a workbench over it on a real store: for tests of the
workbench's storage, claims and events that need no stream, samples or training."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from lsat_core.engine.model_specs import ModelSpec
from lsat_core.engine.sample_sets import SampleSet
from lsat_core.engine.workbench import Workbench

FAKE = "fake"


class BytesFamily:
    """A family whose model is a byte string saved as one file; subclasses define `train`."""

    name = FAKE

    def key_config(self, spec: ModelSpec) -> dict[str, Any]:
        return {}

    def training_set(self, spec: ModelSpec, given: SampleSet) -> SampleSet:
        return given

    def save(self, model: bytes, directory: Path) -> str:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "model.bin").write_bytes(model)
        return "sha"

    def load(self, directory: Path) -> bytes:
        return (directory / "model.bin").read_bytes()


@dataclass(frozen=True)
class _Stream:
    key: str = "stream"


@dataclass(frozen=True)
class _Config:
    seed: int = 0


def fake_workbench(
    engine: Engine, family: BytesFamily, spec: ModelSpec, models_dir: Path, owner: str, **options
) -> Workbench:
    """A workbench that trains `spec` with `family` on a one-row sample set (its train and
    validation parts), claiming as `owner`; `options` go to Workbench (e.g. on_ready)."""
    workbench = Workbench(
        config=_Config(),  # type: ignore[arg-type]
        stream=_Stream(),  # type: ignore[arg-type]
        families={FAKE: family},  # type: ignore[dict-item]
        engine=engine,
        models_dir=models_dir,
        owner=owner,
        **options,
    )
    samples = SampleSet(key="samples", frame=pd.DataFrame({"item": ["a"]}))
    workbench._train_sets[spec] = samples
    workbench._sets[spec.val_part] = samples
    return workbench
