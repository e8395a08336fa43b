"""The quick preset's config and strategies, `paper` as the full protocol, the `preset` token of a
strategy list, the interval statement, and the stream-free model identity the estimate counts
models by (issue 11 item 10; lsat_core/engine/presets.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from lsat_core.baselines.synthetic import planted_stream
from lsat_core.data.stream import Stream
from lsat_core.data.stream_config import StreamConfig
from lsat_core.engine.experiment_config import ExperimentConfig, SampleBudget
from lsat_core.engine.lora_family import LoraFamily
from lsat_core.engine.model_specs import (
    FINE_TUNE,
    FULL,
    LORA,
    PROXIMAL,
    REPLAY,
    ROLES,
    SAMPLED,
    SHORT,
    ModelSpec,
)
from lsat_core.engine.presets import (
    PRESET_STRATEGIES,
    QUICK_BUDGET,
    preset_config,
    preset_strategies,
)
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.engine.workbench import Workbench
from lsat_core.errors import ConfigError
from lsat_core.evaluation.findings import COLLABORATIVE
from lsat_core.evaluation.metrics import auc_with_ci
from lsat_core.evaluation.protocols import plan_steps
from lsat_core.evaluation.resolution import resolution
from lsat_core.runner.model_identity import distinct_models, weights_identity
from lsat_core.runner.options import build_config
from lsat_core.store.engine import make_engine
from lsat_core.strategies.registry import STRATEGIES

QUICK = preset_strategies("quick")


def test_quick_tests_one_update_period_on_hundreds_of_samples() -> None:
    config = build_config(
        strategies="preset", dataset="ml-1m", protocol="next-period", preset="quick"
    )

    assert config.strategies == QUICK
    assert (config.long_term_period, config.update_periods) == (1, (2,))
    steps = plan_steps(config.protocol, config.num_periods, config.update_periods)
    assert [(s.train_period, s.eval_periods) for s in steps] == [(2, (3,))]
    budget = config.budget
    assert (budget.train_per_period, budget.val_per_period, budget.test_per_period) == (64, 64, 448)
    assert (config.lora.epochs, config.lora.batch_size, config.lora.eval_every) == (1, 8, 4)
    assert config.classic_whole_periods  # the classic models and floors see whole periods


def test_quick_compares_the_floors_two_classic_models_and_the_findings_llm_strategies() -> None:
    assert {"popularity", "logreg"} <= set(QUICK)
    classic = {name.split(":")[0] for name in QUICK if ":" in name}
    assert len(classic) >= 2 and classic <= set(COLLABORATIVE)
    for model in classic:  # finding 1: each classic model's full retraining against fine-tuning
        assert {f"{model}:full_retrain", f"{model}:fine_tune"} <= set(QUICK)
    # Finding 1 (full_retrain vs fine_tune, long_term) and finding 3 (lsat_en vs full_retrain,
    # fine_tune; short_term vs fine_tune).
    assert {"full_retrain", "fine_tune", "long_term", "short_term", "lsat_en"} <= set(QUICK)
    assert set(QUICK) <= set(STRATEGIES)


@pytest.mark.parametrize(
    ("protocol", "periods"),
    [("fixed-target", (2,)), ("cold-warm", None), ("held-out-items", None)],
)
def test_quick_keeps_one_step_under_every_protocol(protocol: str, periods) -> None:
    config = preset_config("quick", QUICK, protocol=protocol)
    assert config.update_periods == periods
    assert len(plan_steps(config.protocol, config.num_periods, config.update_periods)) == 1


def test_paper_stays_the_full_protocol_of_the_papers_four_strategies() -> None:
    config = build_config(
        strategies="preset", dataset="ml-1m", protocol="next-period", preset="paper"
    )

    assert config.strategies == ("full_retrain", "fine_tune", "lsat_en", "lsat_ta")
    assert config.budget == SampleBudget()
    assert (config.update_periods, config.long_term_period, config.lora.epochs) == (None, 10, 2)


def test_the_preset_token_adds_the_presets_strategies_to_others() -> None:
    config = build_config(
        strategies="preset,lsat_ta", dataset="ml-1m", protocol="next-period", preset="quick"
    )
    assert config.strategies == (*QUICK, "lsat_ta")
    with pytest.raises(ConfigError, match="unknown preset 'fast'") as caught:
        preset_strategies("fast")
    assert caught.value.where == "preset"
    assert set(PRESET_STRATEGIES) == {"quick", "paper"}


def test_the_interval_statement_matches_delong_on_simulated_scores() -> None:
    """Hanley and McNeil's half-width at the preset's 448 test samples, against DeLong's on
    binormal scores of AUC 0.70 with 57% liked (the assumptions it states), averaged over draws:
    close, and on the wide side (their exponential model is; 0.044 against 0.048 here)."""
    samples = QUICK_BUDGET.test_per_period
    assert samples == 448
    stated = resolution(samples)
    rng = np.random.default_rng(0)
    shift = np.sqrt(2) * 0.7416  # Phi(d / sqrt 2) = 0.70
    widths = []
    for _ in range(200):
        labels = (rng.random(samples) < 0.57).astype(int)
        scores = rng.normal(size=samples) + shift * labels
        result = auc_with_ci(labels, scores)
        widths.append((result.ci_high - result.ci_low) / 2)
    assert 0.85 * stated.auc_half_width < np.mean(widths) < stated.auc_half_width
    assert stated.paired_half_width == pytest.approx(stated.auc_half_width * np.sqrt(0.3))
    assert "448 test samples" in stated.sentence() and "±0.048" in stated.sentence()
    # Four times the samples, half the width.
    assert resolution(4 * samples).auc_half_width == pytest.approx(
        stated.auc_half_width / 2, rel=0.01
    )


# The estimate's model identity against the workbench's keys


@pytest.fixture(scope="module")
def small_stream() -> Stream:
    planted = planted_stream(users=60, items=40, samples=1600, periods=4, seed=0)
    return Stream(
        samples=planted.samples,
        items=planted.items,
        config=StreamConfig(num_periods=4, period_size=400),
        checksum="planted",
        source="planted-signal stream",
        noun="movie",
    )


@pytest.mark.parametrize(
    "settings",
    [
        UpdateSettings(),
        UpdateSettings(replay_ratio=0, proximal_coefficient=0, sampled_budget=10**6),
    ],
)
def test_specs_share_an_identity_exactly_when_they_share_a_model_key(
    tmp_path: Path, small_stream: Stream, settings: UpdateSettings
) -> None:
    config = ExperimentConfig(
        strategies=("fine_tune",),
        stream=small_stream.config,
        long_term_period=2,
        budget=SampleBudget(train_per_period=40, val_per_period=20, test_per_period=30),
        updates=settings,
    )
    bench = Workbench(
        config=config,
        stream=small_stream,
        families={LORA: LoraFamily(config, small_stream, tmp_path / "cache")},
        engine=make_engine(f"sqlite:///{tmp_path / 'store.db'}"),
        models_dir=tmp_path / "models",
    )
    specs = [ModelSpec(LORA, role, t) for role in ROLES for t in (1, 2, 3)]

    def size(part):
        return len(bench.samples(*part))

    for a, b in itertools.combinations(specs, 2):
        same_key = bench.model_key(a) == bench.model_key(b)
        same_identity = weights_identity(a, config, size) == weights_identity(b, config, size)
        assert same_key == same_identity, (a.label(), b.label())
    assert len(distinct_models(specs, config, size)) == len({bench.model_key(s) for s in specs})


def test_the_models_of_t_1_are_one_and_part_from_t_2() -> None:
    config = preset_config("quick", ("full_retrain",))

    def size(part):
        return 32

    first = [ModelSpec(LORA, role, 1) for role in (FULL, SHORT, FINE_TUNE, REPLAY, PROXIMAL)]
    assert len(distinct_models(first, config, size)) == 1
    second = [ModelSpec(LORA, role, 2) for role in (FULL, SHORT, FINE_TUNE, SAMPLED)]
    assert len(distinct_models(second, config, size)) == 4
