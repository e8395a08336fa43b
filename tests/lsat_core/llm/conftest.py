"""The tiny random-weight LLaMA of tests/support/tiny_llm.py loaded as a backbone, adapters for it
and prompts with a planted signal: fast tests need no download; SmolLM2 is in the slow ones."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_llm import planted_prompts

from lsat_core.llm.adapters import Adapter, LoraShape
from lsat_core.llm.backbone import Backbone, BackboneConfig, load_backbone


@pytest.fixture(scope="session")
def tiny_backbone(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Backbone:
    config = BackboneConfig(name_or_path=str(tiny_model_dir), device="cpu")
    return load_backbone(config, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def random_adapter(tiny_backbone: Backbone):
    """A factory of adapters with random (non-zero) A and B for the tiny backbone."""

    def make(seed: int, shape: LoraShape = LoraShape(), scale: float = 0.3) -> Adapter:
        tiny_backbone.host.slot(shape)
        template = tiny_backbone.host.weights(shape)
        generator = torch.Generator().manual_seed(seed)
        weights = {
            key: scale * torch.randn(value.shape, generator=generator)
            for key, value in template.items()
        }
        return Adapter(shape=shape, weights=weights, provenance={"seed": seed})

    return make


@pytest.fixture(scope="session")
def planted() -> dict[str, tuple[list[str], list[int]]]:
    return {"train": planted_prompts(128, seed=1), "val": planted_prompts(64, seed=2)}
