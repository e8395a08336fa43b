"""The registry builds and reloads baselines by name."""

from __future__ import annotations

import pytest
import torch

from lsat_core.baselines.deepmusic import DeepMusic
from lsat_core.baselines.registry import BASELINES, build_baseline, load_baseline
from lsat_core.baselines.storage import write_safetensors
from lsat_core.errors import ConfigError, InputError


def test_the_five_baselines_of_method_section_5():
    assert set(BASELINES) == {"mf", "deepmusic", "gru4rec", "caser", "sasrec"}
    assert all(cls.name == name for name, cls in BASELINES.items())


def test_build_refuses_unknown_names_and_deepmusic_without_text(planted):
    with pytest.raises(ConfigError, match=r"^model: unknown baseline 'bpr'"):
        build_baseline("bpr")
    with pytest.raises(ConfigError, match=r"^text_features: "):
        build_baseline("deepmusic")
    assert isinstance(build_baseline("deepmusic", text_features=planted.features), DeepMusic)
    assert not build_baseline("mf").is_fitted


def test_load_refuses_files_that_are_not_saved_baselines(tmp_path):
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not a safetensors file")
    with pytest.raises(InputError, match="not a readable safetensors file"):
        load_baseline(garbage)
    bare = write_safetensors(tmp_path / "bare.safetensors", {"w": torch.zeros(1)})
    with pytest.raises(InputError, match="not a saved classic baseline"):
        load_baseline(bare)


def test_deepmusic_reloads_only_with_the_text_features_it_was_trained_with(
    fitted, planted, tmp_path
):
    model, _ = fitted("deepmusic")
    path = model.save(tmp_path / "deepmusic.safetensors")
    with pytest.raises(ConfigError, match="text_features"):
        load_baseline(path)
    other = type(planted.features)(planted.features.item_ids, planted.features.vectors, key="x")
    with pytest.raises(InputError, match="text_features_key"):
        load_baseline(path, text_features=other)


def test_loading_as_the_wrong_class_is_refused(fitted, tmp_path):
    model, _ = fitted("mf")
    path = model.save(tmp_path / "mf.safetensors")
    with pytest.raises(InputError, match="holds a 'mf' model, not 'sasrec'"):
        BASELINES["sasrec"].load(path)
