"""`lsat run` refuses bad input with one line and exit code 2, before any training."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cli.main import main


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
    ],
)
def test_bad_options_fail_in_one_line_before_anything_runs(
    tmp_path, monkeypatch, capsys, args, message
):
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["lsat", "run", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "lsat.db").exists()  # nothing was stored


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
