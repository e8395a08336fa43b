from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lsat_core.engine.presets import preset_config
from lsat_core.errors import LsatError
from worker import queue_client

LAUNCH = "views/launch.py"


pytestmark = pytest.mark.usefixtures("served_on_loopback")


@pytest.fixture
def launch_page(app_env, app_dir: Path) -> AppTest:
    """The Launch page, reached through the navigation (its link to the monitor needs it)."""
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    return app.switch_page(LAUNCH).run()


def test_the_preset_fills_in_the_knobs_and_a_new_preset_replaces_them(launch_page) -> None:
    app = launch_page
    assert not app.exception
    assert app.number_input(key="launch_m").value == 1  # quick
    assert app.number_input(key="launch_train_samples").value == 64
    assert "Preset quick: m = 1, update periods 2," in app.caption[0].value

    app.selectbox(key="launch_preset").set_value("paper").run()

    assert app.number_input(key="launch_m").value == 10
    assert app.number_input(key="launch_train_samples").value == 0  # all
    assert app.number_input(key="launch_epochs").value == 2


def model_folder(folder: Path) -> Path:
    """What the form can check of a model without torch: a config.json with a model type."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "llama"}')
    return folder


def test_a_valid_form_queues_its_config_and_links_to_the_monitor(
    launch_page, submitted, app_env
) -> None:
    model = model_folder(app_env.data_dir / "models" / "tiny")
    app = launch_page
    app.multiselect(key="launch_strategies").set_value(["full_retrain", "lsat_en", "mf:fine_tune"])
    app.text_input(key="launch_backbone").input("models/tiny")  # read from the data dir
    app.number_input(key="launch_m").set_value(2)
    app.number_input(key="launch_rank").set_value(4)
    app.number_input(key="launch_test_samples").set_value(0)
    app.text_input(key="launch_update_periods").input("2,3")
    app.text_input(key="launch_name").input("small")
    app.run()
    assert not app.error
    app.button(key="launch_submit").click().run()

    expected = preset_config(
        "quick",
        ("full_retrain", "lsat_en", "mf:fine_tune"),
        dataset="ml-1m",
        protocol="next-period",
        long_term_period=2,
        update_periods=(2, 3),
        seed=0,
    )
    expected = dataclasses.replace(
        expected,
        backbone=dataclasses.replace(expected.backbone, name_or_path=str(model.resolve())),
        lora=dataclasses.replace(expected.lora, r=4),
        budget=dataclasses.replace(expected.budget, test_per_period=None),
    )
    assert submitted == [(expected.to_dict(), "small")]
    assert [s.value for s in app.success] == ["Experiment #42 is queued."]
    (link,) = app.get("page_link")
    assert (link.proto.page, link.proto.query_string) == ("monitor", "experiment=42")


def test_an_m_past_the_last_period_is_refused_with_the_config_error(launch_page, submitted) -> None:
    app = launch_page
    app.number_input(key="launch_m").set_value(20).run()

    assert [e.value for e in app.error] == [
        "m (long-term period): m = 20 must lie in 1..19 (the stream has 20 periods)"
    ]
    assert app.button(key="launch_submit").disabled
    assert not app.metric  # no estimate of a config that cannot run


def test_unknown_update_periods_are_refused(launch_page) -> None:
    app = launch_page
    app.text_input(key="launch_update_periods").input("3,25").run()

    (error,) = app.error
    assert error.value.startswith("Update periods: update periods [25] are not part of")
    assert app.button(key="launch_submit").disabled


def test_the_estimate_counts_shared_models_once_and_prices_them_at_cpu_rates(
    launch_page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """quick, next-period, t = 1, 2, full_retrain + short_term: adapters full@1 (= short@1, one
    key), full@2 and short@2 trained on 64, 192, 64 samples (one epoch, batches of 8) with 2, 6, 2
    validations of 64 prompts; tests of 448 prompts by full@1 on D_2 (both strategies' scores)
    and by full@2 and short@2 on D_3. At 4.87 prompts and 1.5 samples a second (2 cores, the
    rates of a quick run): 320 / 1.5 + (640 + 1344) / 4.87 = 621 s."""
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    app = launch_page
    app.multiselect(key="launch_strategies").set_value(["full_retrain", "short_term"]).run()
    app.text_input(key="launch_update_periods").input("1,2").run()

    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {
        "LoRA adapters to train": "3",
        "Classic models to train": "0",
        "Samples to train on": "320",
        "Prompts to score": "1,984",
        "Rough time": "10 min 21 s",
    }


def test_a_queue_that_cannot_be_reached_is_reported(
    launch_page, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(settings, config, name):
        raise LsatError("experiment 7: could not reach the broker: connection refused")

    monkeypatch.setattr(queue_client, "submit_experiment", unreachable)
    app = launch_page
    app.button(key="launch_submit").click().run()

    assert [e.value for e in app.error] == [
        "Not launched: experiment 7: could not reach the broker: connection refused"
    ]
    assert not app.success and not app.get("page_link")


def test_a_backbone_outside_the_data_dir_is_refused(launch_page, submitted, tmp_path) -> None:
    """A browser may not point the workers at any folder of their machine, links included."""
    outside = model_folder(tmp_path / "model")
    app = launch_page
    app.text_input(key="launch_backbone").input(str(outside)).run()

    (error,) = app.error
    assert error.value.startswith(f"Backbone: {outside} is outside the data dir ")
    assert app.button(key="launch_submit").disabled and submitted == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder.mkdir(), "is not a model folder: no config.json"),
        (lambda folder: folder.write_text("weights?"), "is a file, not a model folder"),
        (
            lambda folder: model_folder(folder).joinpath("config.json").write_text("{oops"),
            "config.json cannot be read as JSON",
        ),
    ],
    ids=["empty folder", "text file", "broken config"],
)
def test_a_backbone_path_that_is_not_a_model_is_refused(
    launch_page, submitted, app_env, make, message
) -> None:
    target = app_env.data_dir / "not-models" / uuid.uuid4().hex  # the data dir is shared
    target.parent.mkdir(exist_ok=True)
    make(target)
    app = launch_page
    app.text_input(key="launch_backbone").input(str(target)).run()

    (error,) = app.error
    assert error.value.startswith("Backbone: ") and message in error.value, error.value
    assert str(target) in error.value
    assert app.button(key="launch_submit").disabled and submitted == []


def test_work_over_the_limits_is_refused_naming_the_field_and_the_limit(
    launch_page, submitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = launch_page
    app.number_input(key="launch_epochs").set_value(10_000).run()
    assert [e.value for e in app.error] == [
        "Epochs: 10,000 is over the limit of 500 (LSAT_MAX_EPOCHS)"
    ]
    assert app.button(key="launch_submit").disabled

    app.number_input(key="launch_epochs").set_value(1)
    app.number_input(key="launch_test_samples").set_value(10**9).run()
    assert [e.value for e in app.error] == [
        "Test samples per period (0 = all): 1,000,000,000 is over the limit of 100,000 "
        "(LSAT_MAX_SAMPLES_PER_PERIOD)"
    ]
    assert app.button(key="launch_submit").disabled
    assert submitted == [] and not app.success


def test_the_limits_come_from_the_environment(app_env, app_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("LSAT_MAX_UPDATES", "3")
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    app = app.switch_page(LAUNCH).run()
    # The quick preset's eleven strategies over its one update period: 11 updates.
    assert [e.value for e in app.error] == [
        "Strategies: 11 strategies x 1 update periods = 11 updates, over the limit of 3 per "
        "submission (LSAT_MAX_UPDATES); split it into several submissions"
    ]
