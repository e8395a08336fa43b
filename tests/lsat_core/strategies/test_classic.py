"""Classic baselines' strategies through the period loop on the planted stream (conftest.py)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from lsat_core.baselines.config import ClassicTrainConfig
from lsat_core.baselines.registry import BASELINES
from lsat_core.engine.classic_family import ClassicFamily
from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.engine.lora_family import LoraFamily
from lsat_core.engine.model_specs import FINE_TUNE, FULL, ModelSpec
from lsat_core.engine.sample_sets import SampleSet, period_part
from lsat_core.errors import ConfigError
from lsat_core.runner.assembly import build_families
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact, ArtifactStatus
from lsat_core.strategies.classic import CLASSIC_BASELINES
from lsat_core.strategies.registry import STRATEGIES, get_strategy

pytestmark = pytest.mark.timeout(300)


def _no_progress(what: str, done: int, total: int) -> None:
    return None


def _artifacts(outcome) -> dict[str, dict]:
    """Stored models: "<family>-<role>-<period>" of the spec that first claimed it -> metrics
    (a key names what shapes the weights, not the role)."""
    with session_scope(outcome.engine) as session:
        rows = session.execute(select(Artifact.config, Artifact.metrics)).all()
    return {re.sub("[:@]", "-", config["spec"]): metrics for config, metrics in rows}


def test_only_content_reaches_cold_items_in_the_cold_warm_protocol(run_planted, planted_case):
    outcome = run_planted(
        ("mf:full_retrain", "deepmusic:full_retrain", "mf:fine_tune"), protocol="cold-warm"
    )
    model = outcome.results().query("role == 'model'")
    # One step: trained on D_1..D_3 (three quarters of four periods), tested on D_4.
    assert set(model["train_period"]) == {3} and set(model["eval_period"]) == {4}
    cells = model.set_index(["strategy", "segment"])
    test = planted_case.stream.period(4)
    cold_n = int(test["item"].isin(planted_case.cold_items).sum())
    assert 0 < cold_n < len(test)
    for strategy in ("mf:full_retrain", "deepmusic:full_retrain", "mf:fine_tune"):
        assert cells.loc[(strategy, "cold"), "n"] == cold_n  # cold: exactly the renamed items
        assert cells.loc[(strategy, "warm"), "n"] == len(test) - cold_n
        assert cells.loc[(strategy, "warm"), "auc"] > 0.9
    # MF knows an unseen item by its unknown row only: it ranks cold items by user, at chance.
    for strategy in ("mf:full_retrain", "mf:fine_tune"):
        assert cells.loc[(strategy, "cold"), "auc"] == pytest.approx(0.5, abs=0.1)
    # DeepMusic reads the group from the item's features.
    assert cells.loc[("deepmusic:full_retrain", "cold"), "auc"] > 0.9

    full = cells.loc[("mf:full_retrain", "all")]
    assert full["samples_trained"] > 3 * 1800 and full["train_seconds"] > 0
    assert full["device"] == "cpu" and full["ci_low"] < full["auc"] < full["ci_high"]
    stored = _artifacts(outcome)
    assert sorted(stored) == [
        "deepmusic-full-3",
        "mf-fine_tune-1",
        "mf-fine_tune-2",
        "mf-fine_tune-3",
        "mf-full-3",
    ]
    # The cost of the update at 3 is the training done at 3, not the chain before it.
    fine = cells.loc[("mf:fine_tune", "all")]
    assert fine["samples_trained"] == stored["mf-fine_tune-3"]["samples_trained"]


@pytest.mark.parametrize("baseline", CLASSIC_BASELINES)
def test_both_updates_of_every_baseline_record_rows(run_planted, baseline):
    strategies = (f"{baseline}:full_retrain", f"{baseline}:fine_tune")
    outcome = run_planted(strategies, protocol="next-period", update_periods=(2,))
    frame = outcome.results()
    assert set(frame["strategy"]) == set(strategies) and set(frame["role"]) == {"model"}
    for _, rows in frame.groupby("strategy"):
        cells = rows.set_index("segment")
        assert set(cells.index) == {"all", "warm", "cold"}
        assert cells.loc["all", "n"] == 2000 and cells.loc["all", "auc"] > 0.8
        assert cells.loc["warm", "n"] + cells.loc["cold", "n"] == 2000
    assert sorted(_artifacts(outcome)) == sorted(
        [f"{baseline}-full-2", f"{baseline}-fine_tune-1", f"{baseline}-fine_tune-2"]
    )


def test_fixed_target_tests_every_update_on_the_last_period(run_planted, planted_case):
    outcome = run_planted(("mf:full_retrain", "mf:fine_tune"), protocol="fixed-target")
    model = outcome.results().query("role == 'model' and segment == 'warm'")
    assert sorted(model["train_period"].unique()) == [1, 2, 3]
    assert set(model["eval_period"]) == {4}
    # Warm means a target of D_1..D_2 here, for every model alike (docs/method.md section 4).
    warm = planted_case.stream.warm_items((1, 2))
    assert (model["n"] == planted_case.stream.period(4)["item"].isin(warm).sum()).all()


@pytest.mark.parametrize("whole", [True, False])
def test_classic_models_train_on_whole_periods_unless_told_otherwise(run_planted, whole):
    budget = SampleBudget(train_per_period=64, val_per_period=32, test_per_period=100)
    outcome = run_planted(
        ("mf:full_retrain",),
        protocol="next-period",
        update_periods=(2,),
        budget=budget,
        classic_whole_periods=whole,
    )
    metrics = _artifacts(outcome)["mf-full-2"]
    # full@2 trains on train_1 + val_1 + train_2 and validates on val_2.
    assert (metrics["train_samples"], metrics["val_samples"]) == (
        (1800 + 200 + 1800, 200) if whole else (64 + 32 + 64, 32)
    )
    cells = outcome.results().set_index("segment")
    assert cells.loc["all", "n"] == 100  # the test budget holds for every strategy
    # Warm: items the model trained on; whole periods hold every item of D_3's sample.
    assert bool(cells.loc["warm", "n"] == 100) is whole


def test_fine_tuning_keeps_the_previous_model_when_validation_gets_worse(
    planted_case, make_config, tmp_path
):
    stream = planted_case.stream

    def family(**classic) -> ClassicFamily:
        # classic_whole_periods=False: train on exactly the sets given here.
        config = make_config(("mf:fine_tune",), classic_whole_periods=False)
        config = dataclasses.replace(config, classic=dataclasses.replace(config.classic, **classic))
        return ClassicFamily("mf", config, stream, tmp_path)

    def part(period: int, name: str) -> SampleSet:
        return period_part(stream, SampleBudget(), period, name)

    first_spec, spec = ModelSpec("mf", FINE_TUNE, 1), ModelSpec("mf", FINE_TUNE, 2)
    first = family().train(first_spec, part(1, "train"), part(1, "val"), None, _no_progress)
    assert first.start_val_auc is None and not first.kept_previous and first.best_val_auc > 0.9

    # Training on the opposite of the signal, with large steps, can only make validation worse.
    train = part(2, "train")
    flipped = SampleSet("flipped", train.frame.assign(label=1 - train.frame["label"]))
    worse = family(learning_rate=0.05).train(
        spec, flipped, part(2, "val"), first.model, _no_progress
    )
    assert max(auc for _, auc in worse.extra["val_history"]) < worse.start_val_auc - 0.1
    assert worse.kept_previous and worse.model is first.model
    assert worse.best_val_auc == worse.start_val_auc > 0.9
    assert worse.samples_trained > 0  # the cost of trying is still paid

    # From a barely trained model, fine-tuning on the signal improves it: the new one is kept.
    weak = family(max_epochs=1, learning_rate=1e-5).train(
        first_spec, part(1, "train"), part(1, "val"), None, _no_progress
    )
    better = family().train(spec, train, part(2, "val"), weak.model, _no_progress)
    assert not better.kept_previous and better.model is not weak.model
    assert better.best_val_auc > better.start_val_auc + 0.2


def test_a_stored_model_is_loaded_not_retrained(run_planted, tmp_path):
    settings = Settings.for_data_dir(tmp_path / "shared")
    strategies = ("deepmusic:full_retrain", "mf:fine_tune")
    first = run_planted(strategies, settings=settings, update_periods=(2,))
    before = _artifacts(first)
    # Another protocol needs the same models: they come from the store (DeepMusic with its
    # features supplied again), and are scored the same.
    again = run_planted(strategies, settings=settings, protocol="fixed-target", update_periods=(2,))
    assert _artifacts(again) == before
    for spec in (ModelSpec("deepmusic", FULL, 2), ModelSpec("mf", FINE_TUNE, 2)):
        loaded = again.bench.model(spec)
        assert not loaded.trained_now
        test = again.bench.samples(3, "test")
        assert again.bench.scores(spec, test) == pytest.approx(first.bench.scores(spec, test))
    with session_scope(again.engine) as session:
        assert set(session.scalars(select(Artifact.status))) == {ArtifactStatus.READY}


def test_a_stored_model_whose_file_is_gone_is_retrained(run_planted, tmp_path):
    settings = Settings.for_data_dir(tmp_path / "shared")
    spec = ModelSpec("mf", FULL, 2)
    first = run_planted(("mf:full_retrain",), settings=settings, update_periods=(2,))
    with session_scope(first.engine) as session:
        stored = session.scalars(
            select(Artifact).where(Artifact.key == first.bench.model_key(spec))
        )
        before = stored.one()
    directory = Path(before.path)
    for file in directory.iterdir():
        file.unlink()
    again = run_planted(
        ("mf:full_retrain",), settings=settings, protocol="fixed-target", update_periods=(2,)
    )
    assert not again.bench.model(spec).trained_now  # the retrained model, now from memory
    with session_scope(again.engine) as session:
        [artifact] = session.scalars(
            select(Artifact).where(Artifact.key == again.bench.model_key(spec))
        )
    assert (artifact.status, artifact.error) == (ArtifactStatus.READY, None)
    assert artifact.completed_at > before.completed_at and any(directory.iterdir())


def test_families_follow_the_strategies(planted_case, make_config, tmp_path):
    settings = Settings.for_data_dir(tmp_path)

    def families(*strategies: str) -> dict:
        config = make_config(strategies)
        return build_families(config, planted_case.stream, settings)

    classic = families("mf:full_retrain", "sasrec:fine_tune", "mf:fine_tune")
    assert list(classic) == ["mf", "sasrec"]
    assert all(isinstance(f, ClassicFamily) and f.device() == "cpu" for f in classic.values())
    mixed = families("in_context", "deepmusic:full_retrain", "lsat_en")
    assert list(mixed) == ["lora", "deepmusic"] and isinstance(mixed["lora"], LoraFamily)
    assert not (tmp_path / "cache").exists()  # building families loads nothing


def test_the_model_key_holds_what_shapes_the_model(planted_case, make_config, tmp_path):
    config = make_config(("deepmusic:fine_tune",), classic=ClassicTrainConfig())
    deepmusic = ClassicFamily(
        "deepmusic", config, planted_case.stream, tmp_path, text_features=planted_case.features
    )
    key = deepmusic.key_config(ModelSpec("deepmusic", FINE_TUNE, 2))
    assert key["text_features"] == "planted-with-cold-twins"
    assert key["classic"]["embedding_size"] == 64 and key["whole_periods"] is True
    mf = ClassicFamily("mf", config, planted_case.stream, tmp_path)
    assert "text_features" not in mf.key_config(ModelSpec("mf", FULL, 2))


def test_every_baseline_has_both_classic_strategies():
    assert tuple(BASELINES) == CLASSIC_BASELINES
    names = [f"{b}:{u}" for b in CLASSIC_BASELINES for u in ("full_retrain", "fine_tune")]
    assert set(names) <= set(STRATEGIES)
    config = ExperimentConfig(strategies=tuple(names))
    for name in names:
        baseline, update = name.split(":")
        assert STRATEGIES[name].family == baseline
        assert STRATEGIES[name].components(4, config) == {
            "model": ModelSpec(baseline, {"full_retrain": FULL, "fine_tune": FINE_TUNE}[update], 4)
        }


@pytest.mark.parametrize("name", ["mf:short_term", "bpr:full_retrain", "mf"])
def test_unknown_classic_strategies_are_refused(name):
    with pytest.raises(ConfigError, match=f"unknown strategy '{name}'"):
        get_strategy(name)


def test_unknown_baseline_family_is_refused(planted_case, make_config, tmp_path):
    config = make_config(("mf:full_retrain",))
    with pytest.raises(ConfigError, match="unknown baseline 'bpr'"):
        ClassicFamily("bpr", config, planted_case.stream, tmp_path)


def test_the_strategy_registry_imports_no_torch():
    code = "import sys, lsat_core.strategies.registry; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
