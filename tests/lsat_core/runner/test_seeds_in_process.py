"""Seeds as an axis, in one process (`lsat run --seeds`): one run per strategy and seed, models
shared within a seed and never across seeds, test samples shared by all seeds, and a seed's runs
equal to a single-seed experiment of that seed (the same runs, found by key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ml1m_data_dir import ml1m_settings
from sqlalchemy import func, select
from tiny_llm import tiny_experiment

from lsat_core.engine import lora_family
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.runner.in_process import run_experiment, summary
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact, Run, RunStatus
from lsat_core.store.predictions import predictions_frame

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def settings(tmp_path: Path, ml1m_cache: Path) -> Settings:
    return ml1m_settings(tmp_path, ml1m_cache)


def two_seeds(tiny_model_dir: Path) -> ExperimentConfig:
    """short_term and lsat_en (which shares its short-term LoRAs) at t = 2, 3, seeds 0 and 1."""
    return tiny_experiment(tiny_model_dir, ("short_term", "lsat_en"), seeds=(0, 1))


def test_every_strategy_runs_once_per_seed_on_the_same_test_samples(
    settings: Settings, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = []
    load_backbone = lora_family.load_backbone

    def counted(*args, **kwargs):
        loads.append(args)
        return load_backbone(*args, **kwargs)

    monkeypatch.setattr(lora_family, "load_backbone", counted)
    config = two_seeds(tiny_model_dir)
    engine, prepared = run_experiment(config, settings, name="two seeds")
    assert len(loads) == 1  # the seeds share one loaded backbone

    assert list(prepared.run_ids) == [
        "short_term/seed0",
        "lsat_en/seed0",
        "short_term/seed1",
        "lsat_en/seed1",
    ]
    with session_scope(engine) as session:
        runs = {run.name: run for run in session.scalars(select(Run))}
        keys = session.scalars(select(Artifact.key)).all()
        predictions = predictions_frame(session, list(prepared.run_ids.values()))
    assert {(run.strategy, run.seed) for run in runs.values()} == {
        (s, seed) for s in config.strategies for seed in (0, 1)
    }
    assert len({run.key for run in runs.values()}) == 4
    assert {run.status for run in runs.values()} == {RunStatus.SUCCEEDED}
    assert runs["lsat_en/seed1"].config["lora"]["seed"] == 1

    # Per seed: full@2 (the long-term LoRA at m = 2), short@2 and short@3, shared by both
    # strategies; the seeds share none of them.
    assert len(set(keys)) == 2 * 3

    run_seed = {run.id: run.seed for run in runs.values()}
    predictions["seed"] = predictions["run_id"].map(run_seed)
    short = predictions[
        predictions["run_id"].isin([runs[f"short_term/seed{s}"].id for s in (0, 1)])
    ]
    samples = short.groupby(["seed", "eval_period"])["sample_id"].apply(tuple).unstack("seed")
    assert (samples[0] == samples[1]).all()  # test samples drawn once, shared by the seeds
    scores = short.pivot_table(index=["eval_period", "sample_id"], columns="seed", values="score")
    assert (scores[0] - scores[1]).abs().max() > 1e-6  # the seeds trained different models

    table, _ = summary(engine, prepared, config)
    assert list(table.index.names) == ["strategy", "seed", "segment"]
    assert ("lsat_en", 1, "all") in table.index

    # The runs of seed 1 are those of a single-seed experiment of seed 1: found, not redone.
    with session_scope(engine) as session:
        artifacts = session.scalar(select(func.count()).select_from(Artifact))
    _, alone = run_experiment(config.for_seed(1), settings, name="seed 1 alone")
    assert alone.run_ids == {s: prepared.run_ids[f"{s}/seed1"] for s in ("short_term", "lsat_en")}
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == artifacts
