"""A past experiment's configuration fills the Launch form, editable, and is launched as a new
experiment; the Seeds field queues one run per seed; a hub id this machine cannot reach is
refused in the form, under its label."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.launch_form import LaunchForm, cloned_form, experiment_config
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.runner import hub_check
from lsat_core.runner.options import build_config
from lsat_core.settings import WorkLimits
from lsat_core.store import create_experiment, make_engine, session_scope

LAUNCH = "views/launch.py"


pytestmark = pytest.mark.usefixtures("served_on_loopback")


def past_config() -> ExperimentConfig:
    """A config with settings the form does not show (TA reading, loss, in-context positives)."""
    config = build_config(
        strategies="lsat_ta,mf:fine_tune,in_context",
        dataset="ml-1m",
        protocol="fixed-target",
        preset="quick",
        m=3,
        update_periods="3,4,5",
        ta_reading="product",
        rank=4,
        loss="answer",
        test_samples=64,
        in_context_positives=2,
        seeds="1,2",
    )
    return dataclasses.replace(config, fine_tune_patience=7)


def launch_page(app_dir: Path) -> AppTest:
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    return app.switch_page(LAUNCH).run()


def test_a_cloned_form_rebuilds_the_stored_config(tmp_path: Path) -> None:
    config = past_config()
    form = cloned_form(config)
    assert (form.seeds, form.update_periods, form.knobs.m) == ("1,2", "3,4,5", 3)
    assert experiment_config(form, tmp_path, WorkLimits()) == config
    edited = dataclasses.replace(form, knobs=dataclasses.replace(form.knobs, rank=16))
    assert experiment_config(edited, tmp_path, WorkLimits()) == dataclasses.replace(
        config, lora=dataclasses.replace(config.lora, r=16)
    )


def test_a_past_experiment_fills_the_form_and_launches_as_a_new_one(
    private_app_env, app_dir: Path, submitted
) -> None:
    config = past_config()
    engine = make_engine(private_app_env.url)
    with session_scope(engine) as session:
        past = create_experiment(
            session, name="ta reading", protocol=config.protocol, config=config.to_dict()
        ).id
    engine.dispose()
    app = launch_page(app_dir)
    app.selectbox(key="launch_clone").select(past).run()
    app.button(key="launch_clone_fill").click().run()

    assert not app.exception and not app.error
    assert app.selectbox(key="launch_protocol").value == "fixed-target"
    assert app.multiselect(key="launch_strategies").value == [
        "lsat_ta",
        "mf:fine_tune",
        "in_context",
    ]
    assert app.number_input(key="launch_m").value == 3
    assert app.number_input(key="launch_test_samples").value == 64
    assert app.text_input(key="launch_update_periods").value == "3,4,5"
    assert app.text_input(key="launch_seeds").value == "1,2"
    assert any(f"Filled from experiment #{past}" in c.value for c in app.caption)

    app.number_input(key="launch_rank").set_value(16).run()
    app.button(key="launch_submit").click().run()
    ((sent, _),) = submitted
    assert ExperimentConfig.from_dict(sent) == dataclasses.replace(
        config, lora=dataclasses.replace(config.lora, r=16)
    )
    assert [s.value for s in app.success] == ["Experiment #42 is queued."]


def test_seeds_are_typed_in_the_form_and_a_bad_one_is_named_by_its_label(
    app_env, app_dir: Path, submitted
) -> None:
    app = launch_page(app_dir)
    app.text_input(key="launch_seeds").input("0,1,1").run()
    assert [e.value for e in app.error] == ["Seeds: a seed is listed twice in [0, 1, 1]"]
    assert app.button(key="launch_submit").disabled

    app.text_input(key="launch_seeds").input("0,1,2").run()
    assert not app.error
    app.button(key="launch_submit").click().run()
    ((sent, _),) = submitted
    assert sent["seeds"] == [0, 1, 2]


def test_a_hub_id_this_machine_cannot_reach_is_refused_in_the_form(
    app_env, app_dir: Path, submitted, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    def unreachable(self, name, timeout=None):
        raise ConnectionError("[Errno -2] Name or service not known")

    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda *a, **k: None)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", unreachable)
    hub_check._hub_problem.cache_clear()
    app = launch_page(app_dir)
    app.text_input(key="launch_backbone").input("acme/tiny-llm").run()

    (error,) = app.error
    assert error.value.startswith("Backbone: acme/tiny-llm is not in this machine's Hugging Face")
    assert "cannot reach the Hugging Face hub" in error.value
    assert app.button(key="launch_submit").disabled and submitted == []


def test_the_form_of_one_seed_is_the_single_seed_config(tmp_path: Path) -> None:
    form = cloned_form(
        build_config(strategies="lsat_en", dataset="ml-1m", protocol="next-period", preset="quick")
    )
    assert isinstance(form, LaunchForm) and form.seeds == "0"
