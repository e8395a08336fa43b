"""The Launch form shows a strategy's knobs while a strategy that reads them is chosen, names a bad
value by its label, queues the value typed, and a stored config set by `lsat run` options comes
back unchanged through a clone into the form."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.launch_form import cloned_form, experiment_config
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.presets import preset_config
from lsat_core.runner.option_names import strategy_knobs
from lsat_core.runner.options import build_config
from lsat_core.settings import WorkLimits
from lsat_core.store import create_experiment, make_engine, session_scope

pytestmark = pytest.mark.usefixtures("served_on_loopback")

KEY = "launch_knob_{}"


def launch_page(app_dir: Path) -> AppTest:
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    return app.switch_page("views/launch.py").run()


def shown_knobs(app: AppTest) -> set[str]:
    keys = {w.key for w in (*app.number_input, *app.selectbox, *app.text_input)}
    return {name for name in strategy_knobs() if KEY.format(name) in keys}


def configured_by_options() -> ExperimentConfig:
    """The config `lsat run --strategies replay,lsat_ta_ties,full_retrain_sampled
    --replay-share 0.5 --merge-density 0.3 --majority-sign frequency --sampled-budget 0
    --sampled-weighting recency` builds (the CLI passes the options given as `knob_values`)."""
    return build_config(
        strategies="replay,lsat_ta_ties,full_retrain_sampled",
        dataset="ml-1m",
        protocol="next-period",
        preset="quick",
        knob_values={
            "replay_ratio": 0.5,
            "merge_density": 0.3,
            "majority_sign_method": "frequency",
            "sampled_budget": 0,
            "sampled_weighting": "recency",
        },
    )


def test_options_to_config_to_cloned_form_give_the_same_config(tmp_path: Path) -> None:
    config = configured_by_options()
    assert (config.updates.replay_ratio, config.updates.sampled_budget) == (0.5, None)
    assert config.merge_refresh.majority_sign_method == "frequency"

    form = cloned_form(config)

    assert form.knob_values["sampled_budget"] == 0  # the config's None, as typed
    assert "svd_rank" not in form.knob_values  # no chosen strategy reads it
    assert experiment_config(form, tmp_path, WorkLimits()) == config
    stored = ExperimentConfig.from_dict(config.to_dict())
    assert experiment_config(cloned_form(stored), tmp_path, WorkLimits()) == config


@pytest.mark.parametrize(("typed", "mu"), [("search", None), ("0", 0.0), ("0.5", 0.5)])
def test_proximal_search_and_a_fixed_mu_of_0_come_back_from_a_clone_as_they_were(
    tmp_path: Path, typed: str, mu: float | None
) -> None:
    """`search` is a value of its own, so mu fixed at 0 (plain fine-tuning) is not read back as
    the search: typed, stored, cloned and typed again, each is the same config."""
    config = build_config(
        strategies="proximal",
        dataset="ml-1m",
        protocol="next-period",
        preset="quick",
        knob_values={"proximal_coefficient": typed},
    )
    assert config.updates.proximal_coefficient == mu

    form = cloned_form(ExperimentConfig.from_dict(config.to_dict()))

    assert form.knob_values["proximal_coefficient"] == typed
    assert experiment_config(form, tmp_path, WorkLimits()) == config


def test_proximal_mu_is_typed_as_search_or_a_number(app_env, app_dir: Path, submitted) -> None:
    app = launch_page(app_dir)
    app.multiselect(key="launch_strategies").set_value(["proximal"]).run()
    field = app.text_input(key=KEY.format("proximal_coefficient"))
    assert field.value == "search"  # the default: mu chosen on val_t from the grid

    field.input("mu").run()
    assert [e.value for e in app.error] == [
        "Proximal coefficient mu: must be search or a number, got 'mu'"
    ]
    assert app.button(key="launch_submit").disabled

    app.text_input(key=KEY.format("proximal_coefficient")).input("0").run()
    assert not app.error
    app.button(key="launch_submit").click().run()
    ((sent, _),) = submitted
    assert ExperimentConfig.from_dict(sent).updates.proximal_candidates == (0.0,)


def test_a_knob_is_shown_while_a_strategy_that_reads_it_is_chosen(
    app_env, app_dir: Path, submitted
) -> None:
    app = launch_page(app_dir)
    assert shown_knobs(app) == set()  # the quick preset's strategies read none

    app.multiselect(key="launch_strategies").set_value(["lsat_en", "replay", "lsat_ta_ties"]).run()

    assert shown_knobs(app) == {"replay_ratio", "merge_density", "majority_sign_method"}
    assert app.number_input(key=KEY.format("replay_ratio")).value == 1.0
    assert app.number_input(key=KEY.format("merge_density")).value == 0.2
    app.number_input(key=KEY.format("replay_ratio")).set_value(0.25).run()
    app.selectbox(key=KEY.format("majority_sign_method")).select("frequency").run()
    assert not app.error
    app.button(key="launch_submit").click().run()

    ((sent, _),) = submitted
    config = ExperimentConfig.from_dict(sent)
    assert config.updates.replay_ratio == 0.25
    assert config.merge_refresh.majority_sign_method == "frequency"
    assert config.merge_refresh.merge_density == 0.2

    app.multiselect(key="launch_strategies").set_value(["lsat_ta_svd"]).run()
    assert shown_knobs(app) == {"svd_rank"}


def samples_to_train(app: AppTest) -> str:
    return next(m.value for m in app.metric if m.label == "Samples to train on")


def test_the_estimate_follows_a_knob(app_env, app_dir: Path) -> None:
    """quick, replay at t = 2: train_1 at t = 1, then train_2 plus val_1 and, at 1:1, as many
    earlier samples, capped at the train_1 there is; at 0, none (quick: 32 and 32 a period,
    so 128 and 96)."""
    budget = preset_config("quick", ("replay",)).budget
    train, val = budget.train_per_period, budget.val_per_period
    assert train is not None and val is not None and val > 0
    app = launch_page(app_dir)
    app.multiselect(key="launch_strategies").set_value(["replay"]).run()
    assert samples_to_train(app) == f"{train + (train + val) + train:,}"

    app.number_input(key=KEY.format("replay_ratio")).set_value(0.0).run()

    assert samples_to_train(app) == f"{train + (train + val):,}"


@pytest.mark.parametrize(
    ("strategy", "knob", "value", "error"),
    [
        ("replay", "replay_ratio", -0.5, "Replay share: must be a finite number >= 0, got -0.5"),
        ("lsat_ta_dare", "merge_density", 1.5, "Merge density: must be in (0, 1], got 1.5"),
        (
            "full_retrain_sampled",
            "sampled_budget",
            3,
            "Sampled budget (0 = one period): must be 0 (one period) or an integer >= 8, got 3",
        ),
    ],
)
def test_a_bad_knob_is_named_by_its_label_and_nothing_is_launched(
    app_env, app_dir: Path, submitted, strategy: str, knob: str, value: float, error: str
) -> None:
    app = launch_page(app_dir)
    app.multiselect(key="launch_strategies").set_value([strategy]).run()
    app.number_input(key=KEY.format(knob)).set_value(value).run()

    assert [e.value for e in app.error] == [error]
    assert app.button(key="launch_submit").disabled and submitted == []


def test_a_cloned_experiment_fills_its_knobs_and_launches_the_same_config(
    private_app_env, app_dir: Path, submitted
) -> None:
    config = configured_by_options()
    engine = make_engine(private_app_env.url)
    with session_scope(engine) as session:
        past = create_experiment(
            session, name="knobs", protocol=config.protocol, config=config.to_dict()
        ).id
    engine.dispose()
    app = launch_page(app_dir)
    app.selectbox(key="launch_clone").select(past).run()
    app.button(key="launch_clone_fill").click().run()

    assert not app.exception and not app.error
    assert app.number_input(key=KEY.format("replay_ratio")).value == 0.5
    assert app.selectbox(key=KEY.format("sampled_weighting")).value == "recency"
    app.button(key="launch_submit").click().run()

    ((sent, _),) = submitted
    assert ExperimentConfig.from_dict(sent) == config
    # A knob edited after the clone changes that setting only.
    app.number_input(key=KEY.format("merge_density")).set_value(0.5).run()
    app.button(key="launch_submit").click().run()
    assert ExperimentConfig.from_dict(submitted[-1][0]) == dataclasses.replace(
        config, merge_refresh=dataclasses.replace(config.merge_refresh, merge_density=0.5)
    )
