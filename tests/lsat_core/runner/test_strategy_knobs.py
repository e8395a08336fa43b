"""The knobs the strategies declare: each names a real setting of the config, has names of its
own on both surfaces, and sets the config through `build_config` (docs/method.md section 3)."""

from __future__ import annotations

import dataclasses

import pytest

from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.errors import ConfigError
from lsat_core.runner.option_names import (
    OPTION_NAMES,
    knobs_of,
    option_names,
    strategies_using,
    strategy_knobs,
    user_name,
)
from lsat_core.runner.options import build_config
from lsat_core.strategies.knobs import SECTIONS


def quick(strategies: str, **knob_values: object):
    return build_config(
        strategies=strategies,
        dataset="ml-1m",
        protocol="next-period",
        preset="quick",
        knob_values=knob_values,
    )


def test_every_knob_is_a_field_of_its_section_with_its_default() -> None:
    knobs = strategy_knobs()
    assert set(knobs) == {
        "replay_ratio",
        "proximal_coefficient",
        "sampled_budget",
        "sampled_weighting",
        "sampled_half_life",
        "merge_density",
        "majority_sign_method",
        "svd_rank",
        "drift_threshold",
        "refresh_every",
    }
    for name, knob in knobs.items():
        fields = {f.name: f for f in dataclasses.fields(SECTIONS[knob.section])}
        default = fields[name].default
        assert knob.config_value(knob.default) == default, name  # as typed, then read back
        assert not knob.choices or knob.default in knob.choices, name


def test_knob_names_are_their_own_on_both_surfaces() -> None:
    knobs = [names for where, names in option_names().items() if where not in OPTION_NAMES]
    assert len(knobs) == len(strategy_knobs())
    for surface in ("cli", "form"):
        knob_names = [getattr(names, surface).split(" (")[0] for names in knobs]
        fixed = {getattr(names, surface).split(" (")[0] for names in OPTION_NAMES.values()}
        assert len(set(knob_names)) == len(knob_names), surface
        assert not set(knob_names) & fixed, surface
    assert user_name("sampled_budget", "cli") == "--sampled-budget (0 = one period)"
    assert user_name("replay_ratio", "form") == "Replay share"


def test_the_strategies_that_read_a_knob() -> None:
    assert strategies_using("merge_density") == ("lsat_ta_ties", "lsat_ta_dare")
    assert strategies_using("replay_ratio")[:2] == ("replay", "mf:replay")
    assert list(knobs_of(["lsat_en", "lsat_ta_svd", "unknown"])) == ["svd_rank"]


def test_knob_values_set_the_config_and_zero_stands_for_none() -> None:
    config = quick("lsat_ta_svd,full_retrain_sampled", svd_rank=0, sampled_budget=64)
    assert (config.merge_refresh.svd_rank, config.updates.sampled_budget) == (None, 64)
    assert quick("lsat_ta_svd", svd_rank=3).merge_refresh.svd_rank == 3
    assert quick("lsat_en_drift") == quick("lsat_en_drift", drift_threshold=0.01)
    # proximal: `search` (the default) is the search over the grid; a number fixes mu, 0 too.
    assert quick("proximal", proximal_coefficient="search").updates.proximal_coefficient is None
    assert quick("proximal", proximal_coefficient="0").updates.proximal_candidates == (0.0,)
    assert quick("proximal", proximal_coefficient=2.0).updates.proximal_candidates == (2.0,)
    # ... and reads back as typed, so a config's value types that config again.
    (knob,) = knobs_of(["proximal"]).values()
    assert [knob.typed(UpdateSettings(proximal_coefficient=mu)) for mu in (None, 0.0, 2)] == [
        "search",
        "0",
        "2",
    ]


@pytest.mark.parametrize(
    ("strategies", "values", "message"),
    [
        ("lsat_en", {"drift_threshold": 0.1}, "is read only by lsat_en_drift, none of which"),
        ("replay", {"fine_tune_eval_every": 3}, "no registered strategy has this setting"),
        ("lsat_en_every_k", {"refresh_every": 0}, "must be >= 1, got 0"),
        ("proximal", {"proximal_coefficient": "grid"}, "must be search or a number, got 'grid'"),
        ("proximal", {"proximal_coefficient": "-1"}, "must be search or a finite number >= 0"),
        ("full_retrain_sampled", {"sampled_budget": 4}, r"must be 0 \(one period\) or an"),
    ],
)
def test_a_knob_that_changes_nothing_or_is_out_of_range_is_refused(
    strategies: str, values: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as refused:
        quick(strategies, **values)
    assert refused.value.where == next(iter(values))
