"""Put together what an experiment's work needs: its stream, model families and workbench.

Used by the in-process runner and by workers alike; a worker re-reads the experiment's stored
config and rebuilds the same workbench, so the same models get the same keys.
"""

from __future__ import annotations

from sqlalchemy import Engine

from lsat_core.data.datasets import load_stream
from lsat_core.data.stream import Stream
from lsat_core.engine.classic_family import ClassicFamily
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.families import ModelFamily
from lsat_core.engine.lora_family import LoraFamily
from lsat_core.engine.model_specs import LORA
from lsat_core.engine.workbench import Workbench
from lsat_core.evaluation.protocols import training_stream
from lsat_core.settings import Settings
from lsat_core.strategies.registry import get_strategy


def experiment_stream(config: ExperimentConfig, settings: Settings) -> Stream:
    """The dataset's stream as the protocol trains on it (held-out-items withholds items)."""
    stream = load_stream(config.dataset, settings.cache_dir, config=config.stream)
    return training_stream(config.protocol, stream, config.held_out_share, config.budget.seed)


def build_families(
    config: ExperimentConfig, stream: Stream, settings: Settings
) -> dict[str, ModelFamily]:
    """The families the config's strategies use: the LoRA family (with its backbone) only for
    LLM strategies and the in-context baseline, one classic family per baseline used."""
    families: dict[str, ModelFamily] = {}
    for name in dict.fromkeys(get_strategy(s).family for s in config.strategies):
        if name == LORA:
            families[name] = LoraFamily(config, stream, settings.cache_dir)
        else:
            families[name] = ClassicFamily(name, config, stream, settings.cache_dir)
    return families


def open_workbench(
    config: ExperimentConfig,
    settings: Settings,
    engine: Engine,
    *,
    stream: Stream | None = None,
    owner: str | None = None,
) -> Workbench:
    stream = stream if stream is not None else experiment_stream(config, settings)
    bench = Workbench(
        config=config,
        stream=stream,
        families=build_families(config, stream, settings),
        engine=engine,
        models_dir=settings.artifacts_dir / "models",
    )
    if owner is not None:
        bench.owner = owner
    return bench
