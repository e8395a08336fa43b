from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertConfig, T5Config

from lsat_core.errors import ConfigError, InputError
from lsat_core.llm.backbone import Backbone, BackboneConfig, load_backbone
from lsat_core.llm.gguf_backbones import GGUF_BACKBONES, converted_dir


def test_default_config_is_the_smollm2_gguf_resolved_for_the_device() -> None:
    config = BackboneConfig()
    assert config.name_or_path == "smollm2-135m" and "smollm2-135m" in GGUF_BACKBONES
    assert config.resolve_dtype(torch.device("cpu")) == torch.float32
    assert config.resolve_dtype(torch.device("cuda")) == torch.bfloat16
    assert BackboneConfig(dtype="float16").resolve_dtype(torch.device("cuda")) == torch.float16


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"dtype": "int8"}, "dtype"), ({"device": "gpu"}, "device"), ({"name_or_path": " "}, "name")],
)
def test_bad_config_values_name_their_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        BackboneConfig(**kwargs)


def test_tiny_backbone_loads_frozen_with_a_pad_id(tiny_backbone: Backbone) -> None:
    assert tiny_backbone.device == torch.device("cpu") and tiny_backbone.dtype == torch.float32
    # The tiny tokenizer has no pad token (like SmolLM2's may not): EOS stands in.
    assert tiny_backbone.pad_id == tiny_backbone.tokenizer.eos_token_id
    assert tiny_backbone.tokenizer.padding_side == "left"
    assert not any(p.requires_grad for p in tiny_backbone.model.parameters())
    assert not tiny_backbone.model.training


def test_converted_gguf_folder_is_named_by_the_file_hash(tmp_path: Path) -> None:
    folder = converted_dir("smollm2-135m", tmp_path)
    assert folder == tmp_path / "backbones" / "smollm2-135m-b179c9523d0e"


def _saved_config(folder: Path, config) -> Path:
    folder.mkdir()
    config.save_pretrained(folder)
    return folder


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: _saved_config(d, T5Config()), "model type 't5' is not a causal"),
        (
            lambda d: _saved_config(d, BertConfig(architectures=["BertForMaskedLM"])),
            "architecture BertForMaskedLM is not a causal",
        ),
        (lambda d: d.mkdir() or d, "not a Hugging Face model"),
        (lambda d: (d.write_text("x"), d)[1], "expected a model folder"),
        (lambda d: d / "missing" / "deeper", "no such model folder"),
    ],
)
def test_a_path_that_is_not_a_causal_lm_is_an_input_error(
    tmp_path: Path, make, message: str
) -> None:
    path = make(tmp_path / "candidate")
    with pytest.raises(InputError, match=message) as error:
        load_backbone(BackboneConfig(name_or_path=str(path), device="cpu"), tmp_path / "cache")
    assert str(error.value).startswith(str(path))
