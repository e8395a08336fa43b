"""The experiment config: validated on construction, stored and rebuilt exactly, torch-free."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.presets import preset_config
from lsat_core.errors import ConfigError


def test_stored_config_rebuilds_to_an_equal_config_with_the_same_run_keys():
    config = preset_config("quick", ("lsat_en", "fine_tune"), long_term_period=4)
    rebuilt = ExperimentConfig.from_dict(config.to_dict())
    assert rebuilt == config
    assert rebuilt.run_key("lsat_en") == config.run_key("lsat_en")
    assert config.run_key("lsat_en") != config.run_key("fine_tune")


def test_the_dataset_reference_stream_is_filled_in_and_stored():
    config = ExperimentConfig(strategies=("full_retrain",))
    assert config.stream is not None and config.stream.period_size == 10_000
    assert config.to_dict()["stream"]["num_periods"] == 20


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"strategies": ()}, "strategies"),
        ({"strategies": ("lsat_en", "lsat_en")}, "strategies"),
        ({"long_term_period": 20}, "long_term_period"),
        ({"ta_reading": "sum"}, "ta_reading"),
        ({"update_periods": (0,)}, "update_periods"),
    ],
)
def test_invalid_values_name_their_field(changes, field):
    values = {"strategies": ("lsat_en",), **changes}
    with pytest.raises(ConfigError) as error:
        ExperimentConfig(**values)
    assert error.value.where == field


def test_building_a_config_does_not_import_torch():
    code = (
        "import sys\n"
        "from lsat_core.engine.presets import preset_config\n"
        "preset_config('quick', ('lsat_en',)).to_dict()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
