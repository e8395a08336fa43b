"""The baseline config: docs/method.md section 5 defaults, one-line errors that name the field."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.configs import config_from_dict, config_to_dict
from lsat_core.errors import ConfigError


def test_defaults_follow_method_section_5():
    config = ClassicTrainConfig()
    assert (config.learning_rate, config.batch_size, config.embedding_size) == (1e-3, 256, 64)
    assert config.weight_decay == 1e-5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("learning_rate", 0.0),
        ("batch_size", 0),
        ("weight_decay", -1e-5),
        ("max_epochs", 0),
        ("evals_per_epoch", 0),
        ("patience_epochs", 0),
        ("popularity_smoothing_grid", ()),
        ("popularity_smoothing_grid", (5.0, 0.0)),
        ("logreg_c_grid", (1.0, -1.0)),
        ("seed", -1),
        ("unknown_rate", 1.0),
        ("dropout", -0.1),
        ("embedding_size", 2.5),
        ("gru_layers", True),
        ("caser_filter_heights", ()),
        ("caser_filter_heights", (2, 11)),
        ("sasrec_heads", 3),
        ("row_decay", "sometimes"),
    ],
)
def test_invalid_values_name_their_field(field, value):
    with pytest.raises(ConfigError, match=f"^{field}: "):
        ClassicTrainConfig(**{field: value})


def test_round_trips_through_its_stored_dict():
    config = ClassicTrainConfig(caser_filter_heights=(1, 3), seed=7, logreg_c_grid=(0.5, 2.0))
    assert config_from_dict(ClassicTrainConfig, config_to_dict(config)) == config


def test_architecture_mismatch_lists_only_weight_shaping_fields():
    base = ClassicTrainConfig()
    other = ClassicTrainConfig(learning_rate=1e-4, max_epochs=3, embedding_size=32, gru_layers=2)
    assert base.architecture_mismatch(other) == ["embedding_size", "gru_layers"]
    assert base.architecture_mismatch(ClassicTrainConfig(seed=3)) == []


def test_importing_the_config_does_not_load_torch():
    code = "import sys, lsat_core.baselines.config; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
