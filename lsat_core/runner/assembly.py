"""Put together what an experiment's work needs: its stream, model families and workbench.

Used by the in-process runner and by workers alike; a worker re-reads the experiment's stored
config and rebuilds the same workbench, so the same models get the same keys.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    sibling: Workbench | None = None,
) -> Workbench:
    """`sibling`: the workbench of another seed of the experiment, whose stream and loaded
    backbone this one shares (seeds differ in their training seeds only)."""
    if stream is None:
        stream = sibling.stream if sibling is not None else experiment_stream(config, settings)
    families = build_families(config, stream, settings)
    if sibling is not None and sibling.config.backbone == config.backbone:
        share_backbone(families, sibling.families)
    bench = Workbench(
        config=config,
        stream=stream,
        families=families,
        engine=engine,
        models_dir=settings.artifacts_dir / "models",
    )
    if owner is not None:
        bench.owner = owner
    return bench


def share_backbone(families: Mapping[str, ModelFamily], loaded: Mapping[str, ModelFamily]) -> None:
    """Give the LoRA family of `families` the backbone that `loaded`'s LoRA family has loaded, if
    it has (the same backbone config: the caller's to check): one backbone in memory, loaded once,
    whatever the seed. Adapters live in one PEFT host per backbone, as when one family trains
    many (`lsat_core.llm.peft_host`)."""
    mine, theirs = families.get(LORA), loaded.get(LORA)
    if not (isinstance(mine, LoraFamily) and isinstance(theirs, LoraFamily)):
        return
    # `backbone` is a functools.cached_property: its value, once loaded, is in the instance's
    # __dict__, and assigning it is how another instance is given it.
    if "backbone" in vars(theirs):
        mine.backbone = theirs.backbone
