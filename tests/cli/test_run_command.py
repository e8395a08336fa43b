"""`lsat run` refuses bad input with one line and exit code 2, before any training."""

from __future__ import annotations

import sys

import pytest
from lsat_process import lsat_process
from ml1m_data_dir import data_dir_with_cache
from typer.main import get_command
from typer.testing import CliRunner

from cli.main import app as lsat_app
from cli.main import main
from lsat_core.runner.option_names import OPTION_NAMES, user_name
from lsat_core.strategies.registry import STRATEGIES, strategy_names

BAD_OPTIONS = [
    # (arguments, the config field at fault, the rest of the one-line error)
    (("--strategies", "full_retrain,bogus"), "strategies", "unknown strategy 'bogus'"),
    (("--m", "25"), "long_term_period", "m = 25 must lie in 1..19"),
    (("--protocol", "weekly"), "protocol", "unknown protocol 'weekly'"),
    (("--update-periods", "3,x"), "update_periods", "expected comma-separated integers"),
    (("--dataset", "netflix"), "dataset", "unknown dataset 'netflix'"),
    (("--train-samples", "3"), "train_per_period", "must be at least 8, or all of the part"),
    (("--train-samples", "-5"), "train_per_period", "must be at least 8, or all of the part"),
    (("--learning-rate", "0"), "learning_rate", "must be > 0, got 0.0"),
    (("--learning-rate", "inf"), "learning_rate", "must lie in (0, 1], got inf"),
    (("--rank", "0"), "r", "must be >= 1, got 0"),
    (("--seed", "-1"), "seed", "must be an integer in 0..4294967295, got -1"),
    (("--m", "0"), "long_term_period", "m = 0 must lie in 1..19"),
    (("--preset", "huge"), "preset", "unknown preset 'huge'"),
    (("--loss", "mse"), "loss", "unknown loss 'mse'"),
    # Work over the default limits (lsat_core.settings.WorkLimits).
    (
        ("--test-samples", "1000000000"),
        "test_per_period",
        "1,000,000,000 is over the limit of 100,000 (LSAT_MAX_SAMPLES_PER_PERIOD)",
    ),
    (("--epochs", "100000"), "epochs", "100,000 is over the limit of 500 (LSAT_MAX_EPOCHS)"),
    (("--rank", "4096"), "r", "4,096 is over the limit of 256 (LSAT_MAX_LORA_RANK)"),
    (
        ("--strategies", ",".join(strategy_names()), "--preset", "paper"),
        "strategies",
        f"{len(strategy_names())} strategies x 19 update periods = "
        f"{19 * len(strategy_names())} updates, over the limit of 200",
    ),
]
RUN_ONLY = [
    (("--seeds", "0,1,x"), "seeds", "expected comma-separated integers, got '0,1,x'"),
    (("--seeds", "0,1,1"), "seeds", "a seed is listed twice in [0, 1, 1]"),
    (("--seeds", "1,-2"), "seeds", "must be an integer in 0..4294967295, got -2"),
    (("--seed", "3", "--seeds", "1,2"), "seeds", "seed 3 is not the first of the seeds 1,2"),
    (
        ("--preset", "paper", "--strategies", "mf:full_retrain,logreg", "--seeds", "0,1,2,3,4,5"),
        "strategies",
        "2 strategies x 19 update periods x 6 seeds = 228 updates",
    ),
]


def _fails_in_one_line(monkeypatch, capsys, data_dir, argv) -> str:
    monkeypatch.setenv("LSAT_DATA_DIR", str(data_dir))
    monkeypatch.setattr(sys, "argv", ["lsat", *argv])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert list(data_dir.iterdir()) == []  # nothing stored, nothing queued
    return lines[0]


@pytest.mark.parametrize(("args", "field", "message"), BAD_OPTIONS + RUN_ONLY)
def test_bad_options_fail_in_one_line_naming_the_option(
    tmp_path, monkeypatch, capsys, args, field, message
):
    """`lsat run` names the option the user typed (docs: lsat_core/runner/option_names.py)."""
    line = _fails_in_one_line(monkeypatch, capsys, tmp_path, ["run", *args])
    assert line.startswith(f"error: {user_name(field, 'cli')}: "), line
    assert message in line, line


@pytest.mark.parametrize(("args", "field", "message"), BAD_OPTIONS)
def test_lsat_submit_refuses_the_same_options_before_anything_is_queued(
    tmp_path, monkeypatch, capsys, args, field, message
):
    line = _fails_in_one_line(monkeypatch, capsys, tmp_path, ["submit", *args])
    assert message in line, line


def test_the_option_names_are_those_of_the_command_line():
    assert user_name("long_term_period", "cli") == "--m"
    assert user_name("test_per_period", "cli") == "--test-samples (0 = all)"
    options = {
        name for param in get_command(lsat_app).commands["run"].params for name in param.opts
    }
    for names in OPTION_NAMES.values():
        assert names.cli.split(" ")[0] in options


def test_run_help_names_every_registered_strategy_at_call_time(monkeypatch):
    monkeypatch.setitem(STRATEGIES, "toy_registered_late", STRATEGIES["full_retrain"])
    result = CliRunner().invoke(lsat_app, ["run", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for name in strategy_names():
        assert name in text, name
    assert "toy_registered_late" in text


def test_a_backbone_that_is_not_a_causal_lm_fails_before_training(tmp_path, ml1m_cache):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    data = data_dir_with_cache(tmp_path, ml1m_cache)
    result = lsat_process("run", "--backbone", str(folder), data_dir=data)
    assert result.returncode == 2, result.stderr
    assert str(folder) in result.stderr.strip().splitlines()[-1]
    assert not (data / "artifacts").exists()  # nothing trained


def test_the_limits_are_read_from_the_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LSAT_MAX_EPOCHS", "3")
    monkeypatch.setattr(sys, "argv", ["lsat", "submit", "--epochs", "4"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == (
        "error: --epochs: 4 is over the limit of 3 (LSAT_MAX_EPOCHS)"
    )
    assert list(tmp_path.iterdir()) == []


def broken_config(folder):
    folder.mkdir()
    (folder / "config.json").write_text("{not json")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder.mkdir(), "is not a model folder: no config.json"),
        (lambda folder: folder.write_text("hello"), "is a file, not a model folder"),
        (broken_config, "config.json cannot be read as JSON"),
        (lambda folder: None, "no such model folder"),
    ],
    ids=["folder without config.json", "text file", "broken config.json", "missing"],
)
@pytest.mark.parametrize("command", ["run", "submit"])
def test_a_backbone_path_that_is_not_a_model_is_refused_naming_it(
    tmp_path, monkeypatch, capsys, make, message, command
):
    """The CLI may name any folder (a local user), but it must hold a model."""
    data = tmp_path / "data"
    monkeypatch.setenv("LSAT_DATA_DIR", str(data))
    target = tmp_path / "model"
    make(target)
    monkeypatch.setattr(sys, "argv", ["lsat", command, "--backbone", str(target)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert (
        line.startswith(f"error: {user_name('backbone', 'cli')}: {target}") and message in line
    ), line
    assert not data.exists()
