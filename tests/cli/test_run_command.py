"""`lsat run` refuses bad input with one line and exit code 2, before any training."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cli.main import main
from lsat_core.strategies.registry import strategy_names


def lsat(*args: str, env_dir) -> subprocess.CompletedProcess:
    env = {"LSAT_DATA_DIR": str(env_dir), "PATH": "/usr/bin:/bin", "HOME": str(env_dir)}
    return subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--strategies", "full_retrain,bogus"), "strategies: unknown strategy 'bogus'"),
        (("--m", "25"), "long_term_period: m = 25 must lie in 1..19"),
        (("--protocol", "weekly"), "protocol: unknown protocol 'weekly'"),
        (("--update-periods", "3,x"), "update_periods: expected comma-separated integers"),
        (("--dataset", "netflix"), "dataset: unknown dataset 'netflix'"),
        (("--train-samples", "3"), "train_per_period: must be None (all) or at least 8"),
        (("--train-samples", "-5"), "train_per_period: must be None (all) or at least 8"),
        (("--learning-rate", "0"), "learning_rate: must be > 0, got 0.0"),
        (("--learning-rate", "inf"), "learning_rate: must lie in (0, 1], got inf"),
        (("--rank", "0"), "r: must be >= 1, got 0"),
        (("--seed", "-1"), "seed: must be an integer in 0..4294967295, got -1"),
        (("--m", "0"), "long_term_period: m = 0 must lie in 1..19"),
        (("--preset", "huge"), "preset: unknown preset 'huge'"),
        (("--loss", "mse"), "loss: unknown loss 'mse'"),
        # Work over the default limits (lsat_core.settings.WorkLimits).
        (
            ("--test-samples", "1000000000"),
            "test_per_period: 1,000,000,000 is over the limit of 100,000 "
            "(LSAT_MAX_SAMPLES_PER_PERIOD)",
        ),
        (("--epochs", "100000"), "epochs: 100,000 is over the limit of 500 (LSAT_MAX_EPOCHS)"),
        (("--rank", "4096"), "r: 4,096 is over the limit of 256 (LSAT_MAX_LORA_RANK)"),
        (
            ("--strategies", ",".join(strategy_names()), "--preset", "paper"),
            f"strategies: {len(strategy_names())} strategies x 19 update periods = "
            f"{19 * len(strategy_names())} updates, over the limit of 200",
        ),
    ],
)
@pytest.mark.parametrize("command", ["run", "submit"])
def test_bad_options_fail_in_one_line_before_anything_runs(
    tmp_path, monkeypatch, capsys, args, message, command
):
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["lsat", command, *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert list(tmp_path.iterdir()) == []  # nothing stored, nothing queued


def test_a_backbone_that_is_not_a_causal_lm_fails_before_training(tmp_path, ml1m_cache):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}')
    data = tmp_path / "data"
    (data / "cache").mkdir(parents=True)
    for name in ("wheels", "streams", "datasets"):
        (data / "cache" / name).symlink_to(ml1m_cache / name)
    result = lsat("run", "--backbone", str(folder), env_dir=data)
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
        "error: epochs: 4 is over the limit of 3 (LSAT_MAX_EPOCHS)"
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
    assert line.startswith(f"error: backbone: {target}") and message in line, line
    assert not data.exists()
