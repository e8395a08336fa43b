from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from lsat_core.errors import ConfigError, InputError
from lsat_core.llm.adapters import (
    METADATA_FILE,
    PEFT_CONFIG_FILE,
    WEIGHTS_FILE,
    Adapter,
    LoraShape,
    load_adapter,
    save_adapter,
)
from lsat_core.llm.backbone import Backbone
from lsat_core.llm.scoring import score_prompts


def test_save_then_load_scores_identically(
    tiny_backbone: Backbone, random_adapter, planted, tmp_path: Path
) -> None:
    adapter = random_adapter(seed=1)
    prompts = planted["val"][0][:16]
    folder = save_adapter(adapter, tmp_path / "adapter")
    loaded = load_adapter(folder)
    assert loaded.shape == adapter.shape and loaded.provenance == {"seed": 1}
    assert loaded.content_hash() == adapter.content_hash()
    np.testing.assert_array_equal(
        score_prompts(tiny_backbone, prompts, loaded),
        score_prompts(tiny_backbone, prompts, adapter),
    )
    # A regular PEFT folder too: PEFT's own config file names the same LoRA.
    peft_config = json.loads((folder / PEFT_CONFIG_FILE).read_text())
    assert (peft_config["r"], peft_config["lora_alpha"]) == (8, 16)


def test_an_adapter_folder_is_written_once_and_never_replaced(
    random_adapter, tmp_path: Path
) -> None:
    """A reader of a folder never finds it moved aside: an identical adapter is kept, and a
    different one is refused instead of swapped in (issue 15)."""
    folder = tmp_path / "adapter"
    first, second = random_adapter(seed=1), random_adapter(seed=2)
    save_adapter(first, folder)
    stamp = (folder / WEIGHTS_FILE).stat().st_mtime_ns
    assert save_adapter(first, folder) == folder
    with pytest.raises(InputError, match="written once"):
        save_adapter(second, folder)
    assert (folder / WEIGHTS_FILE).stat().st_mtime_ns == stamp
    assert load_adapter(folder).content_hash() == first.content_hash()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter"]  # no temporary left behind
    (folder / WEIGHTS_FILE).unlink()
    with pytest.raises(InputError, match="incomplete"):
        save_adapter(first, folder)  # an identical but broken folder is not taken for whole


def test_tampered_weights_or_missing_files_are_input_errors(random_adapter, tmp_path: Path) -> None:
    folder = save_adapter(random_adapter(seed=1), tmp_path / "adapter")
    tensors = load_file(str(folder / WEIGHTS_FILE))
    first = sorted(tensors)[0]
    tensors[first] = tensors[first] + 1
    save_file(tensors, str(folder / WEIGHTS_FILE))
    with pytest.raises(InputError, match="SHA-256"):
        load_adapter(folder)
    (folder / METADATA_FILE).unlink()
    with pytest.raises(InputError, match=f"missing {METADATA_FILE}"):
        load_adapter(folder)


def test_an_adapter_for_another_backbone_does_not_load(tiny_backbone: Backbone) -> None:
    alien = Adapter(
        shape=LoraShape(), weights={"base_model.model.nope.lora_A.weight": torch.ones(1)}
    )
    with pytest.raises(InputError, match="does not fit this backbone"):
        score_prompts(tiny_backbone, ["x"], alien)


def test_lora_shape_validates_its_fields() -> None:
    with pytest.raises(ConfigError, match="r"):
        LoraShape(r=0)
    with pytest.raises(ConfigError, match="dropout"):
        LoraShape(dropout=1.0)
    assert LoraShape(target_modules=["q_proj"]).target_modules == ("q_proj",)
    assert LoraShape().scaling == 2.0
