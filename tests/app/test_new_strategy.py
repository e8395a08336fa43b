"""A strategy is one module registered once: a toy one, defined and registered here, reaches the
launch form, the work estimate, `lsat strategies` and config validation with no other change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from app.work_estimate import estimate_work
from cli.main import app as lsat
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import FULL, LORA, SHORT, ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.errors import ConfigError
from lsat_core.runner.options import build_config
from lsat_core.runner.work_plan import plan_work
from lsat_core.strategies.base import Strategy, UpdatedModel, served
from lsat_core.strategies.registry import STRATEGIES


class HalfAndHalf(Strategy):
    name = "toy_half"
    family = LORA
    summary = "a toy: full retraining and the short-term LoRA at t, averaged"
    test_scorings = 2
    validation_scorings = 3

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"long": ModelSpec(LORA, FULL, t), "short": ModelSpec(LORA, SHORT, t)}

    def update(self, t: int, bench: Workbench) -> UpdatedModel:
        parts = self.components(t, bench.config)
        specs = list(parts.values())
        return served(
            t, bench, parts, lambda samples: np.mean(bench.scores_together(specs, samples), axis=0)
        )


@pytest.fixture(autouse=True)
def toy_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(STRATEGIES, HalfAndHalf.name, HalfAndHalf())


def quick_config(strategies: str = HalfAndHalf.name) -> ExperimentConfig:
    return build_config(
        strategies=strategies, dataset="ml-1m", protocol="next-period", preset="quick"
    )


def test_the_config_accepts_it_and_still_refuses_unknown_names() -> None:
    assert quick_config().strategies == (HalfAndHalf.name,)
    with pytest.raises(ConfigError, match=r"unknown strategy 'toy_other'; choose from .*toy_half"):
        quick_config("toy_other")


def test_the_work_plan_and_the_estimate_follow_its_declarations() -> None:
    """quick, t = 2: full@2 and short@2 trained on 192 and 64 samples with 6 and 2 validations of
    64 prompts; 3 scorings of val_2 (64) and 2 of the tested period (448):
    512 + 192 + 896 = 1,600 prompts."""
    config = quick_config()
    planned = {ModelSpec(LORA, role, 2) for role in (FULL, SHORT)}
    assert set(plan_work(config, {HalfAndHalf.name: 1}).models) == planned

    work = estimate_work(config, None)

    assert (work.llm_models, work.classic_models, work.updates) == (2, 0, 1)
    assert (work.samples_trained, work.prompts_scored) == (256, 1600)


def test_lsat_strategies_lists_it_with_its_summary() -> None:
    result = CliRunner().invoke(lsat, ["strategies"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == len(STRATEGIES)
    assert lines[-1].split() == ["toy_half", *HalfAndHalf.summary.split()]


def test_the_launch_form_offers_it_and_estimates_its_work(
    app_env, app_dir: Path, served_on_loopback: None
) -> None:
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    app = app.switch_page("views/launch.py").run()
    strategies = app.multiselect(key="launch_strategies")
    assert HalfAndHalf.name in strategies.options

    strategies.set_value([HalfAndHalf.name]).run()

    assert not app.error
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["LoRA adapters to train"], metrics["Prompts to score"]) == ("2", "1,600")
