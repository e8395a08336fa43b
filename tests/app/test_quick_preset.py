"""The quick preset's work at the CPU rates a quick run measured, the estimate counting a shared
model once, and the Launch page starting from the preset's strategies and stating what its test
size resolves (issue 11 item 10)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.work_estimate import PeriodSize, cpu_rates, estimate_work, samples_tested
from lsat_core.engine.presets import preset_config, preset_strategies
from lsat_core.evaluation.resolution import resolution

ML1M = {p: PeriodSize(train=9000, val=1000, samples=10000) for p in range(1, 21)}
"""ML-1M's periods (`lsat data stats ml-1m`): 10,000 samples, 9,000 train and 1,000 validation."""
BUDGET_S = 20 * 60
LLM_SHARE_S = 17 * 60
"""The LLM's part of the 20 minutes; the rest is for the eight classic models and floors on whole
periods, loading the backbone and building prompts."""
QUICK_RUN_RATES = cpu_rates(2)
"""The rates the preset is sized at, the Launch page's defaults on 2 cores: those a quick run's
tasks measured on the 2-core machine (app/work_estimate.py)."""


def test_quick_fits_its_budget_at_the_rates_measured_in_a_quick_run() -> None:
    """t = 2, m = 1: LoRAs full@1 (64 samples), full@2 (64 + 64 + val_1's 64), fine_tune@2
    (train_2 + val_1) and short@2 (64); tested on D_3's 448 samples by four of them."""
    config = preset_config("quick", preset_strategies("quick"))
    work = estimate_work(config, ML1M)

    assert (work.llm_models, work.classic_models, work.updates) == (4, 8, 11)
    assert work.samples_trained == 64 + 192 + 128 + 64
    # 4 x 448 tests; LSAT-EN's alpha search on val_2 (2 x 64); validations while training
    # (batches of 8, every 4 steps, fine-tuning every 6 and once at its start): full@1 2,
    # full@2 6, short@2 2, fine_tune@2 3 + 1, of 64 prompts each.
    assert work.prompts_scored == 4 * 448 + 2 * 64 + 14 * 64
    seconds = work.seconds(QUICK_RUN_RATES)
    assert seconds is not None and seconds <= LLM_SHARE_S < BUDGET_S
    assert samples_tested(config, ML1M) == 448


def test_a_model_shared_at_t_1_is_counted_once() -> None:
    """Full retraining, fine-tuning and the short-term LoRA train one model at t = 1 (one key),
    three from t = 2: four LoRAs, not six."""
    config = preset_config(
        "quick", ("full_retrain", "fine_tune", "short_term"), update_periods=(1, 2)
    )
    assert estimate_work(config, ML1M).llm_models == 4
    classic = preset_config("quick", ("mf:full_retrain", "mf:fine_tune"), update_periods=(1, 2))
    assert estimate_work(classic, ML1M).classic_models == 3


def test_the_launch_page_starts_from_the_presets_strategies_and_states_its_resolution(
    app_env, app_dir, served_on_loopback
) -> None:
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    app = app.switch_page("views/launch.py").run()

    assert not app.exception
    assert app.multiselect(key="launch_strategies").value == list(preset_strategies("quick"))
    statement = resolution(448).sentence()
    assert statement in [c.value for c in app.caption]
    assert "±0.048" in statement and "±0.026" in statement

    app.selectbox(key="launch_preset").set_value("paper").run()

    assert app.multiselect(key="launch_strategies").value == list(preset_strategies("paper"))
    assert statement not in [c.value for c in app.caption]
