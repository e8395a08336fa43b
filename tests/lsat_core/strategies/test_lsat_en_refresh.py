"""lsat_en_drift and lsat_en_every_k (lsat_core.strategies.lsat_en_refresh): the drift rule on a
table of validation AUCs, and the known answers of docs/method.md section 3 end to end with the
tiny LLM on real ML-1M samples: a threshold that never fires is LSAT-EN with its frozen long-term
LoRA, a refresh every period is LSAT-EN (full); each refresh, and each drift check that kept the
long-term LoRA, is logged once with its reason."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from ml1m_data_dir import ml1m_settings
from sqlalchemy import select
from tiny_llm import tiny_experiment

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.merge_refresh_config import MergeRefreshConfig
from lsat_core.errors import ConfigError
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Event
from lsat_core.store.queries import results_frame
from lsat_core.strategies import lsat_en_refresh
from lsat_core.strategies.lsat_en_refresh import LsatEnDrift, drift_checks, drift_message
from lsat_core.strategies.refresh_events import refresh_task_key

VAL_AUC = {  # (period the long-term LoRA was trained at, validation period) -> AUC
    (2, 2): 0.800,
    (2, 3): 0.795,  # 0.005 below: kept
    (2, 4): 0.780,  # 0.020 below: refreshed at 4
    (2, 5): 0.700,  # (met only when 4 did not refresh)
    (2, 6): 0.600,
    (4, 4): 0.820,
    (4, 5): 0.815,  # 0.005 below the new reference: kept
    (4, 6): 0.790,  # 0.030 below: refreshed at 6
    (6, 6): 0.800,
}


def table_bench(monkeypatch: pytest.MonkeyPatch, threshold: float) -> SimpleNamespace:
    monkeypatch.setattr(lsat_en_refresh, "_val_auc", lambda bench, at, period: VAL_AUC[at, period])
    config = ExperimentConfig(
        strategies=("lsat_en_drift",),
        long_term_period=2,
        merge_refresh=MergeRefreshConfig(drift_threshold=threshold),
    )
    return SimpleNamespace(config=config)


def test_a_drop_beyond_the_threshold_refreshes_and_resets_the_reference(monkeypatch) -> None:
    checks = drift_checks(6, table_bench(monkeypatch, threshold=0.01))

    assert [(c.period, c.trained_at, c.fired) for c in checks] == [
        (3, 2, False),
        (4, 2, True),
        (5, 4, False),
        (6, 4, True),
    ]
    assert checks[1].reference_auc == 0.800 and checks[3].reference_auc == 0.820
    assert drift_checks(2, table_bench(monkeypatch, threshold=0.01)) == []  # nothing before m


def test_a_threshold_of_one_never_fires(monkeypatch) -> None:
    assert not any(c.fired for c in drift_checks(6, table_bench(monkeypatch, threshold=1.0)))


def test_a_drift_check_says_what_it_decided(monkeypatch) -> None:
    bench = table_bench(monkeypatch, threshold=0.01)
    kept, fired = drift_checks(4, bench)
    assert drift_message("lsat_en_drift", kept, bench) == (
        "lsat_en_drift at t=3: long-term LoRA trained at 2 kept: AUC 0.7950 on val_3 against "
        "0.8000 on val_2, a change of -0.0050 (a refresh needs a drop of more than 0.01)"
    )
    assert drift_message("lsat_en_drift", fired, bench) == (
        "lsat_en_drift at t=4: long-term LoRA trained at 2 replaced by full retraining at 4: AUC "
        "0.7800 on val_4 against 0.8000 on val_2, a change of -0.0200 (a refresh needs a drop of "
        "more than 0.01)"
    )


def test_the_settings_refuse_bad_values() -> None:
    with pytest.raises(ConfigError, match="drift_threshold"):
        MergeRefreshConfig(drift_threshold=-0.1)
    with pytest.raises(ConfigError, match="refresh_every"):
        MergeRefreshConfig(refresh_every=0)


@pytest.fixture
def settings(tmp_path: Path, ml1m_cache: Path) -> Settings:
    return ml1m_settings(tmp_path, ml1m_cache)


@pytest.mark.timeout(600)
def test_degenerate_refreshes_are_lsat_en_and_lsat_en_full(
    settings: Settings, tiny_model_dir: Path
) -> None:
    strategies = ("lsat_en", "lsat_en_drift", "lsat_en_full", "lsat_en_every_k")
    config = tiny_experiment(
        tiny_model_dir,
        strategies,
        merge_refresh=MergeRefreshConfig(drift_threshold=1.0, refresh_every=1),
    )
    engine, prepared = run_experiment(config, settings, name="refresh known answers")
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
        events = session.scalars(select(Event).where(Event.task_key.like("long-term-refresh:%")))
        logged = {(e.run_id, e.task_key): e.message for e in events}

    cells = ["train_period", "eval_period", "role", "segment"]
    by_strategy = {s: rows.set_index(cells) for s, rows in frame.groupby("strategy")}
    for served, same_as in (("lsat_en_drift", "lsat_en"), ("lsat_en_every_k", "lsat_en_full")):
        for column in ("auc", "uauc", "coefficient"):
            assert by_strategy[served][column].equals(by_strategy[same_as][column]), column
    # Every k = 1 refreshes at t = 3 (after m = 2), once, with its reason; drift's check at 3
    # does not fire, and says so with the AUCs it compared.
    every_k, drift = (
        (prepared.run_ids[s], refresh_task_key(config.run_key(s), 3))
        for s in ("lsat_en_every_k", "lsat_en_drift")
    )
    assert sorted(logged) == sorted([every_k, drift])
    assert "refreshed by full retraining at 3 (every k=1 periods after m=2)" in logged[every_k]
    assert re.fullmatch(
        r"lsat_en_drift at t=3: long-term LoRA trained at 2 kept: AUC 0\.\d{4} on val_3 against "
        r"0\.\d{4} on val_2, a change of [+-]0\.\d{4} \(a refresh needs a drop of more than 1\.0\)",
        logged[drift],
    )


def test_drift_declares_the_frozen_long_term_lora_before_refreshes_are_known() -> None:
    config = ExperimentConfig(strategies=("lsat_en_drift",), long_term_period=10)
    assert [s.label() for s in LsatEnDrift().components(12, config).values()] == [
        "lora:full@10",
        "lora:short@12",
    ]
    assert LsatEnDrift().components(7, config)["long"].label() == "lora:full@7"
