"""`lsat run` and `lsat submit` have one option per knob the registered strategies declare, read
at call time: the value given reaches the config, a bad one is refused naming the option."""

from __future__ import annotations

from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from cli.main import app as lsat_app
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.merge_refresh_config import MergeRefreshConfig
from lsat_core.engine.model_specs import FINE_TUNE, LORA, ModelSpec
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.errors import InputError, LsatError
from lsat_core.runner import in_process
from lsat_core.runner.option_names import strategy_knobs, user_name
from lsat_core.strategies.base import Strategy, UpdatedModel, single_model
from lsat_core.strategies.knobs import Knob
from lsat_core.strategies.registry import STRATEGIES


class Stop(LsatError):
    """Raised by the fake in-process run once it has the config."""


@pytest.fixture
def run_configs(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[ExperimentConfig]:
    """The configs `lsat run` would run, caught before anything is built or trained."""
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    seen: list[ExperimentConfig] = []

    def run_experiment(config: ExperimentConfig, *args: Any, **kwargs: Any) -> None:
        seen.append(config)
        raise Stop("caught")

    monkeypatch.setattr(in_process, "run_experiment", run_experiment)
    return seen


def invoke(*args: str) -> Any:
    return CliRunner().invoke(lsat_app, list(args), env={"COLUMNS": "400"})


def options_of(command: str) -> set[str]:
    return {name for p in get_command(lsat_app).commands[command].params for name in p.opts}


@pytest.mark.parametrize("command", ["run", "submit"])
def test_every_knob_has_its_option_with_its_help(command: str) -> None:
    options = options_of(command)
    for name in strategy_knobs():
        assert user_name(name, "cli").split(" ")[0] in options, name
    text = " ".join(invoke(command, "--help").output.split())
    assert "Strategy knobs" in text
    assert "replay and <model>:replay: earlier training samples replayed" in text
    assert "Default: 1." in text and "Default: 0 (one period)." in text
    assert "Default: search." in text


@pytest.mark.parametrize(("given", "mu"), [((), None), (("search",), None), (("0",), 0.0)])
def test_proximal_searches_mu_unless_a_number_fixes_it_0_included(
    run_configs: list[ExperimentConfig], given: tuple[str, ...], mu: float | None
) -> None:
    option = ("--proximal-coefficient", *given) if given else ()
    result = invoke("run", "--strategies", "proximal", *option)

    assert isinstance(result.exception, Stop), result.output
    (config,) = run_configs
    assert config.updates.proximal_coefficient == mu


def test_the_knobs_given_reach_the_config_and_the_others_keep_their_defaults(
    run_configs: list[ExperimentConfig],
) -> None:
    result = invoke(
        "run",
        "--strategies",
        "replay,lsat_ta_svd,lsat_en_every_k,full_retrain_sampled",
        "--replay-share",
        "0",
        "--svd-rank",
        "2",
        "--refresh-every",
        "1",
        "--sampled-budget",
        "0",
        "--sampled-half-life",
        "1.5",
    )

    assert isinstance(result.exception, Stop), result.output
    (config,) = run_configs
    assert config.updates == UpdateSettings(replay_ratio=0.0, sampled_half_life=1.5)
    assert config.merge_refresh == MergeRefreshConfig(svd_rank=2, refresh_every=1)


BAD_KNOBS = [
    # (strategies, option, value, the config field at fault, the rest of the one-line error)
    ("replay", "--replay-share", "-1", "replay_ratio", "must be a finite number >= 0, got -1.0"),
    ("mf:replay", "--replay-share", "nan", "replay_ratio", "must be a finite number >= 0"),
    ("proximal", "--proximal-coefficient", "-0.1", "proximal_coefficient", ">= 0, got -0.1"),
    ("proximal", "--proximal-coefficient", "all", "proximal_coefficient", "search or a number"),
    ("lsat_ta_ties", "--merge-density", "0", "merge_density", "must be in (0, 1], got 0.0"),
    ("lsat_ta_dare", "--merge-density", "1.01", "merge_density", "must be in (0, 1], got 1.01"),
    ("lsat_ta_ties", "--majority-sign", "mean", "majority_sign_method", "unknown method 'mean'"),
    (
        "lsat_ta_svd",
        "--svd-rank",
        "-2",
        "svd_rank",
        "must be 0 (the adapters' rank) or an integer >= 1, got -2",
    ),
    ("lsat_en_drift", "--drift-threshold", "2", "drift_threshold", "must be in [0, 1], got 2.0"),
    ("lsat_en_every_k", "--refresh-every", "0", "refresh_every", "must be >= 1, got 0"),
    ("full_retrain_sampled", "--sampled-budget", "4", "sampled_budget", "an integer >= 8, got 4"),
    ("full_retrain_sampled", "--sampled-weighting", "new", "sampled_weighting", "choose uniform"),
    ("full_retrain_sampled", "--sampled-half-life", "0", "sampled_half_life", "must be > 0"),
    (
        "lsat_en,fine_tune",
        "--replay-share",
        "0.5",
        "replay_ratio",
        "is read only by replay, mf:replay,",
    ),
]


@pytest.mark.parametrize("command", ["run", "submit"])
@pytest.mark.parametrize(("strategies", "option", "value", "field", "message"), BAD_KNOBS)
def test_a_bad_knob_is_refused_naming_the_option(
    run_configs, command, strategies, option, value, field, message
) -> None:
    """The one-line error `lsat` prints (`error: <str of the exception>`), before any run."""
    result = invoke(command, "--strategies", strategies, option, value)

    assert isinstance(result.exception, InputError), result.output
    line = str(result.exception)
    assert line.startswith(f"{user_name(field, 'cli')}: "), line
    assert message in line, line
    assert run_configs == []


EVAL_EVERY = Knob(
    "updates",
    "fine_tune_eval_every",
    "--toy-eval-every",
    "Toy validation cadence",
    "toy_knobbed: optimizer steps between validations.",
    kind=int,
    step=1,
)


class Knobbed(Strategy):
    """A toy strategy declaring a knob of its own (a config field no registered one declares)."""

    name = "toy_knobbed"
    family = LORA
    summary = "a toy: fine-tuning at its own validation cadence"
    knobs = (EVAL_EVERY,)

    def components(self, t: int, config: ExperimentConfig) -> dict[str, ModelSpec]:
        return {"model": ModelSpec(LORA, FINE_TUNE, t)}

    def update(self, t: int, bench: Any) -> UpdatedModel:
        return single_model(t, bench, self.components(t, bench.config)["model"])


def test_a_strategy_registered_later_brings_its_knob_option(
    monkeypatch: pytest.MonkeyPatch, run_configs: list[ExperimentConfig]
) -> None:
    monkeypatch.setitem(STRATEGIES, Knobbed.name, Knobbed())
    assert "--toy-eval-every" in options_of("run")

    result = invoke("run", "--strategies", Knobbed.name, "--toy-eval-every", "3")

    assert isinstance(result.exception, Stop), result.output
    assert run_configs[0].updates.fine_tune_eval_every == 3
    bad = invoke("run", "--strategies", Knobbed.name, "--toy-eval-every", "0")
    assert str(bad.exception).startswith("--toy-eval-every: must be a positive integer")
