"""`lsat run --json` prints the finished experiment's report, and a hub id given as the backbone
is checked before anything runs (this machine has no internet)."""

from __future__ import annotations

import json
import sys

import pytest
from lsat_process import lsat_process
from ml1m_data_dir import data_dir_with_cache

from cli.main import main
from lsat_core.runner import hub_check


def test_run_json_prints_the_report_of_the_finished_experiment(tmp_path, ml1m_cache):
    """The two floors (cheap, whole periods) at t = 1 with two seeds: four runs in the report."""
    data = data_dir_with_cache(tmp_path, ml1m_cache)
    args = ("--strategies", "popularity,logreg", "--update-periods", "1", "--seeds", "0,1")
    result = lsat_process("run", *args, "--json", data_dir=data)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert [e["id"] for e in report["experiments"]] == [1]
    assert report["experiments"][0]["status"] == "succeeded"
    runs = {(row["strategy"], row["seed"]) for row in report["headline"]}
    assert runs == {(s, seed) for s in ("popularity", "logreg") for seed in (0, 1)}
    assert report["cells"] == [[1, 2]]
    assert all(0 < row["mean_auc"] < 1 for row in report["headline"])
    assert report["paired"]  # runs of both seeds share their test samples


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub as this machine sees it: nothing cached, every request fails on DNS."""

    class Unreachable(Exception):
        pass

    def model_info(self, name, timeout=None):
        raise Unreachable("[Errno -2] Name or service not known")

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda *a, **k: None)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", model_info)
    hub_check._hub_problem.cache_clear()


def test_an_unreachable_hub_id_is_refused_in_one_line_before_anything_runs(
    tmp_path, monkeypatch, capsys, offline
):
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "argv", ["lsat", "run", "--backbone", "acme/tiny-llm"])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: --backbone: acme/tiny-llm is not in this machine's Hugging")
    assert "cannot reach the Hugging Face hub (Unreachable)" in line
    assert list(tmp_path.iterdir()) == []


def test_a_cached_hub_id_passes_and_a_registered_name_is_not_looked_up(monkeypatch, offline):
    import huggingface_hub

    hub_check.check_hub_backbone("smollm2-135m")  # registered: converted by the worker
    monkeypatch.setattr(
        huggingface_hub, "try_to_load_from_cache", lambda name, file: f"/cache/{name}/{file}"
    )
    hub_check._hub_problem.cache_clear()
    hub_check.check_hub_backbone("acme/tiny-llm")


def test_a_model_the_hub_does_not_have_is_named(monkeypatch, offline):
    import huggingface_hub
    from huggingface_hub.errors import RepositoryNotFoundError

    def missing(self, name, timeout=None):
        # As the hub client raises it on a 404 (its constructor wants the HTTP response).
        raise RepositoryNotFoundError.__new__(RepositoryNotFoundError)

    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", missing)
    with pytest.raises(hub_check.InputError, match="no such model on the Hugging Face hub"):
        hub_check.check_hub_backbone("acme/typo-llm")
