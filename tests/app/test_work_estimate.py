from __future__ import annotations

import pytest

from app.work_estimate import GPU_RATES, PeriodSize, WorkEstimate, cpu_rates, estimate_work
from lsat_core.engine.presets import preset_config
from lsat_core.engine.update_settings import UpdateSettings


def test_lsat_scorings_are_those_the_strategies_declare() -> None:
    """quick, t = 2: the same two adapters (full@1, the long-term LoRA as m = 1, and short@2);
    LSAT-TA scores val_2 (64 prompts) once per point of the 11-point grid and the tested period
    (448) three times (merged, long, short), LSAT-EN val_2 and the tested period twice (long,
    short)."""
    ta, en = (estimate_work(preset_config("quick", (s,)), None) for s in ("lsat_ta", "lsat_en"))

    assert ta.llm_models == en.llm_models == 2
    assert ta.prompts_scored is not None and en.prompts_scored is not None
    assert ta.prompts_scored - en.prompts_scored == (11 - 2) * 64 + (3 - 2) * 448


def test_whole_periods_are_read_from_the_stored_stream_sizes() -> None:
    """paper, cold-warm: full_retrain trains train_1..15 + val_1..14 for 2 epochs in batches
    of 128, validated on val_15 every 23 steps; both strategies are tested on whole periods."""
    config = preset_config("paper", ("full_retrain", "mf:fine_tune"), protocol="cold-warm")
    sizes = {p: PeriodSize(train=900, val=100, samples=1000) for p in range(1, 21)}

    work = estimate_work(config, sizes)

    # cold-warm on T = 20: the single step t = 15, tested on D_16..D_20 (the LLM's only).
    trained = 15 * 900 + 14 * 100
    steps = -(-trained // 128) * 2
    assert work == WorkEstimate(
        llm_models=1,
        classic_models=15,  # fine-tuning at 15 continues the models of 1..14
        updates=2,
        samples_trained=trained * 2,
        prompts_scored=-(-steps // 23) * 100 + 5 * 1000,
    )


def test_without_a_stored_stream_whole_periods_leave_the_samples_unknown() -> None:
    work = estimate_work(preset_config("paper", ("lsat_en",)), None)

    # 29 specs, of which full@1 and short@1 are one model.
    assert (work.llm_models, work.samples_trained, work.prompts_scored) == (28, None, None)
    assert work.seconds(GPU_RATES) is None


def test_cpu_rates_are_the_two_core_measurements_scaled_by_cores() -> None:
    rates = cpu_rates(2)
    # What a quick run's tasks measured on the 2-core machine (app/work_estimate.py).
    assert (rates.prompts_per_second, rates.samples_trained_per_second) == (4.87, 1.5)
    work = WorkEstimate(1, 0, 1, samples_trained=1500, prompts_scored=4870)
    assert work.seconds(cpu_rates(2)) == pytest.approx(2000.0)
    assert work.seconds(cpu_rates(8)) == pytest.approx(500.0)


def test_proximal_that_searches_mu_trains_once_per_point_of_the_grid() -> None:
    """quick, t = 2: proximal@1 is full@1 (64 samples, trained once either way); proximal@2
    trains on train_2 + val_1 (128) once per mu of the 4-point grid, or once with mu fixed.
    Each training validates on val_2 (64) every 6 of its 16 steps (3 times); the model they
    start from is validated once, for all of them."""
    searched = preset_config("quick", ("proximal",))
    fixed = preset_config("quick", ("proximal",), updates=UpdateSettings(proximal_coefficient=0.5))
    assert searched.updates.proximal_candidates == (0.0, 0.1, 1.0, 10.0)

    search, one = estimate_work(searched, None), estimate_work(fixed, None)

    assert (search.llm_models, one.llm_models) == (2, 2)  # one model each, however trained
    assert search.samples_trained == 64 + 4 * 128 and one.samples_trained == 64 + 128
    assert search.samples_trained - 64 == 4 * (one.samples_trained - 64)
    others = 2 * 64 + 448  # full@1's 2 validations, proximal@2's test on D_3
    assert search.prompts_scored == others + (4 * 3 + 1) * 64
    assert one.prompts_scored == others + (3 + 1) * 64
