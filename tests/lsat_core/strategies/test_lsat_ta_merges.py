"""lsat_ta_ties, lsat_ta_dare and lsat_ta_svd (lsat_core.strategies.lsat_ta_merges) end to end with
the tiny LLM on real ML-1M samples: each serves a PEFT merge of LSAT-TA's two LoRAs, records its
parts, keeps the whole curve of the mixing weight on val_t and serves its argmax. The merges' own
known answers are in tests/lsat_core/llm/test_peft_merges.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ml1m_data_dir import ml1m_settings
from tiny_llm import tiny_experiment

from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.queries import results_frame
from lsat_core.strategies.lsat_ta_merges import PEFT_MERGE_STRATEGIES

MERGES = tuple(s.name for s in PEFT_MERGE_STRATEGIES)


@pytest.fixture
def settings(tmp_path: Path, ml1m_cache: Path) -> Settings:
    return ml1m_settings(tmp_path, ml1m_cache)


@pytest.mark.timeout(600)
def test_each_merge_serves_the_argmax_of_its_curve_beside_lsat_ta(
    settings: Settings, tiny_model_dir: Path
) -> None:
    # One update (t = m = 2): 33 PEFT merges and three 11-adapter passes are most of the time.
    config = tiny_experiment(tiny_model_dir, ("lsat_ta", *MERGES), update_periods=(2,))
    engine, prepared = run_experiment(config, settings, name="PEFT merges")
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))

    rows = frame[frame["segment"] == "all"]
    for strategy in MERGES:
        mine = rows[rows["strategy"] == strategy]
        assert set(mine["role"]) == {"model", "long", "short"}
        for _, row in mine[mine["role"] == "model"].iterrows():
            curve = row["coefficient_curve"]
            assert [p["coefficient"] for p in curve] == pytest.approx(np.linspace(0, 1, 11))
            aucs = [p["auc"] for p in curve]
            assert row["coefficient"] == curve[int(np.argmax(aucs))]["coefficient"]
        # The parts are LSAT-TA's own: the same long- and short-term LoRAs, scored alike.
        parts = mine[mine["role"] != "model"].set_index(["train_period", "role"])["auc"]
        lsat_ta = rows[(rows["strategy"] == "lsat_ta") & (rows["role"] != "model")]
        assert parts.equals(lsat_ta.set_index(["train_period", "role"])["auc"])
    # Different merges of the same parts: not all the same served model.
    served = rows[rows["role"] == "model"].groupby("strategy")["auc"].apply(tuple)
    assert len(set(served[list(MERGES)])) > 1
