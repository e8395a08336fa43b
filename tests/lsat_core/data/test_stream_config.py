from __future__ import annotations

import dataclasses

import pytest

from lsat_core.configs import config_from_dict, config_hash, config_to_dict
from lsat_core.data.datasets import DATASETS
from lsat_core.data.stream_config import StreamConfig
from lsat_core.errors import ConfigError

TIME = {"period_mode": "time", "time_start": "2014-03-01", "time_end": "2018-05-01"}


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"period_mode": "weekly"}, "period_mode"),
        ({"num_periods": 0}, "num_periods"),
        ({"num_periods": 2.5}, "num_periods"),
        ({"period_size": 1}, "period_size"),
        ({"history_length": 0}, "history_length"),
        ({"val_fraction": 0.0}, "val_fraction"),
        ({"val_fraction": 1.0}, "val_fraction"),
        ({"user_sample_fraction": 0.0}, "user_sample_fraction"),
        ({"min_user_interactions": -1}, "min_user_interactions"),
        ({"item_count_key": "asin"}, "item_count_key"),
        ({"tz_offset_hours": 15}, "tz_offset_hours"),
        ({"time_start": "2014-03-01"}, "time_start/time_end"),
        ({"period_mode": "time"}, "time_start/time_end"),
        ({**TIME, "period_size": 10}, "period_size"),
        ({**TIME, "time_start": "March 2014"}, "time_start"),
        ({**TIME, "time_end": "2018-05-01T00:00:00+02:00"}, "time_end"),
        ({**TIME, "time_end": "2014-03-01"}, "time_start"),
    ],
)
def test_invalid_configs_name_the_field(fields, where):
    with pytest.raises(ConfigError) as error:
        StreamConfig(**fields)
    assert error.value.where == where
    assert "\n" not in str(error.value)


def test_time_edges_are_read_in_the_given_utc_offset():
    # The Amazon reference printed 1393603200 and 1525104000 for these dates on a UTC+8 machine.
    amazon = DATASETS["amazon-book"].config
    assert amazon.time_edges_unix() == (1393603200, 1525104000)
    utc = dataclasses.replace(amazon, tz_offset_hours=0.0)
    assert utc.time_edges_unix() == (1393603200 + 8 * 3600, 1525104000 + 8 * 3600)


def test_config_round_trips_through_its_stored_form_and_hash():
    config = DATASETS["amazon-book"].config
    again = config_from_dict(StreamConfig, config_to_dict(config))
    assert again == config
    assert config_hash(again) == config_hash(config)
    assert config_hash(dataclasses.replace(config, seed=1)) != config_hash(config)


def test_registry_holds_the_paper_settings():
    ml = DATASETS["ml-1m"].config
    assert (ml.period_mode, ml.num_periods, ml.period_size, ml.history_length) == (
        "count",
        20,
        10_000,
        10,
    )
    amazon = DATASETS["amazon-book"].config
    assert (amazon.min_user_interactions, amazon.user_sample_fraction) == (11, 0.2)
    assert (amazon.min_item_interactions, amazon.seed, amazon.val_fraction) == (50, 0, 0.1)
    assert set(DATASETS) == {"ml-1m", "ml-100k", "amazon-book"}
