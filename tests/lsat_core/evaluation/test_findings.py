"""The paper's findings on planted predictions whose answer is known (docs/method.md section 9)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lsat_core.evaluation.findings import (
    CONTRADICTED,
    NOT_ENOUGH,
    SUPPORTED,
    Evidence,
    check_findings,
)
from lsat_core.evaluation.protocols import COLD_WARM, HELD_OUT_ITEMS, NEXT_PERIOD

NEXT_CELLS = ((10, 11), (11, 12))
HELD_CELLS = ((15, 16), (15, 17))


def planted(
    protocol: str,
    signals: dict[str, float],
    *,
    cells=NEXT_CELLS,
    samples: int = 3000,
    cold_share: float = 0.5,
    own_noise: float = 0.3,
    seed: int = 0,
) -> Evidence:
    """Each strategy scores label * signal + a noise every strategy shares + its own noise, on
    the same samples of every cell; `cold_share` of them have a target no model saw. A strategy
    whose signal is 0 on cold items (its name in `blind`) scores them by noise alone."""
    rng = np.random.default_rng(seed)
    results, predictions = [], []
    shared = {
        cell: (
            rng.integers(0, 2, samples),
            rng.normal(size=samples),
            rng.random(samples) < cold_share,
        )
        for cell in cells
    }
    for run_id, (strategy, signal) in enumerate(signals.items(), start=1):
        results.append({"run_id": run_id, "strategy": strategy, "seed": 0})
        for (train, evaluated), (labels, common, cold) in shared.items():
            cold_signal = 0.0 if strategy in BLIND else signal
            strength = np.where(cold, cold_signal, signal)
            score = labels * strength + common + rng.normal(scale=own_noise, size=samples)
            predictions.append(
                pd.DataFrame(
                    {
                        "run_id": run_id,
                        "train_period": train,
                        "eval_period": evaluated,
                        "part": "test",
                        "role": "model",
                        "sample_id": np.arange(samples) + 10_000 * evaluated,
                        "user": np.arange(samples) % 40,
                        "label": labels,
                        "warm": ~cold,
                        "score": score,
                    }
                )
            )
    return Evidence(protocol, pd.DataFrame(results), pd.concat(predictions, ignore_index=True))


BLIND: set[str] = {"mf:full_retrain", "mf:fine_tune", "sasrec:full_retrain"}
"""Collaborative models: chance on cold items."""


def finding(number: int, *evidence: Evidence):
    return check_findings(evidence)[number - 1]


# Finding 1


def test_finding_1_supported_when_the_llm_holds_still_and_mf_gains():
    ev = planted(
        NEXT_PERIOD,
        {
            "full_retrain": 1.0,
            "fine_tune": 1.0,
            "long_term": 1.0,
            "mf:full_retrain": 1.0,
            "mf:fine_tune": 0.6,
        },
        own_noise=0.05,
    )
    result = finding(1, ev)
    assert result.verdict == SUPPORTED, result.sentence
    assert list(result.tests["reading"]) == ["negligible", "negligible", "improves"]
    assert "mf:full_retrain - mf:fine_tune +0.0" in result.sentence
    assert result.tests["samples"].tolist() == [6000, 6000, 6000]


def test_finding_1_contradicted_when_the_llm_gains_as_much():
    ev = planted(
        NEXT_PERIOD,
        {"full_retrain": 1.0, "fine_tune": 0.5, "mf:full_retrain": 1.0, "mf:fine_tune": 0.5},
    )
    result = finding(1, ev)
    assert result.verdict == CONTRADICTED
    assert "full_retrain - fine_tune reads 'moves'" in result.sentence


def test_finding_1_not_enough_with_few_samples_or_no_classic_model():
    small = planted(
        NEXT_PERIOD,
        {"full_retrain": 1.0, "fine_tune": 1.0, "mf:full_retrain": 1.0, "mf:fine_tune": 0.6},
        samples=48,
    )
    result = finding(1, small)
    assert result.verdict == NOT_ENOUGH
    assert set(result.tests["reading"]) == {"too few samples"}
    llm_only = planted(NEXT_PERIOD, {"full_retrain": 1.0, "fine_tune": 1.0}, own_noise=0.05)
    result = finding(1, llm_only)
    assert result.verdict == NOT_ENOUGH and "not run: a classic model" in result.sentence
    assert finding(1, planted(COLD_WARM, {"full_retrain": 1.0}, cells=HELD_CELLS)).protocol is None


# Finding 2


def test_finding_2_supported_on_held_out_items():
    ev = planted(
        HELD_OUT_ITEMS,
        {"full_retrain": 1.0, "mf:full_retrain": 1.0, "sasrec:full_retrain": 1.0},
        cells=HELD_CELLS,
    )
    result = finding(2, ev)
    assert result.verdict == SUPPORTED, result.sentence
    assert result.protocol == HELD_OUT_ITEMS
    readings = dict(zip(result.tests["test"], result.tests["reading"], strict=True))
    assert readings["mf:full_retrain on cold items"] == "near 0.5"
    assert readings["full_retrain - sasrec:full_retrain on cold items"] == "LLM above"
    assert 2600 < result.tests["samples"].iloc[0] < 3400  # half of 2 x 3000
    # Beside each cold AUC its uAUC, over the 40 users; paired rows have none.
    per_user = result.tests.set_index("test")[["uauc", "uauc_users"]]
    assert per_user.loc["full_retrain on cold items", "uauc"] > 0.7
    assert abs(per_user.loc["mf:full_retrain on cold items", "uauc"] - 0.5) < 0.05
    assert per_user["uauc_users"].iloc[:3].tolist() == [40, 40, 40]
    assert per_user["uauc"].iloc[3:].isna().all()
    assert "(uAUC " in result.sentence


def test_finding_2_prefers_held_out_items_to_cold_warm():
    held = planted(HELD_OUT_ITEMS, {"full_retrain": 1.0, "mf:full_retrain": 1.0}, cells=HELD_CELLS)
    few = planted(
        COLD_WARM, {"full_retrain": 1.0, "mf:full_retrain": 1.0}, cells=HELD_CELLS, cold_share=0.02
    )
    assert finding(2, few, held).protocol == HELD_OUT_ITEMS


def test_finding_2_not_enough_with_cold_warm_s_few_cold_samples():
    few = planted(
        COLD_WARM, {"full_retrain": 1.0, "mf:full_retrain": 1.0}, cells=HELD_CELLS, cold_share=0.025
    )
    result = finding(2, few)
    assert result.verdict == NOT_ENOUGH
    assert "fewer than 200; launch the held-out-items protocol" in result.sentence


def test_finding_2_contradicted_when_a_collaborative_model_reads_cold_items():
    ev = planted(
        HELD_OUT_ITEMS, {"full_retrain": 1.0, "gru4rec:full_retrain": 1.0}, cells=HELD_CELLS
    )
    result = finding(2, ev)
    assert result.verdict == CONTRADICTED
    assert "gru4rec:full_retrain on cold items reads 'not near 0.5'" in result.sentence


# Finding 3


LSAT_WINS = {"fine_tune": 0.8, "full_retrain": 0.9, "short_term": 1.0, "lsat_en": 1.1}


def test_finding_3_supported_with_holm_adjusted_pooled_tests():
    result = finding(3, planted(NEXT_PERIOD, LSAT_WINS))
    assert result.verdict == SUPPORTED, result.sentence
    assert list(result.tests["test"]) == [
        "lsat_en - full_retrain",
        "lsat_en - fine_tune",
        "short_term - fine_tune",
    ]
    assert (result.tests["p_holm"] >= result.tests["p_value"]).all()
    assert (result.tests["estimate"] > 0).all()


def test_finding_3_contradicted_when_lsat_en_loses():
    result = finding(3, planted(NEXT_PERIOD, LSAT_WINS | {"lsat_en": 0.6}))
    assert result.verdict == CONTRADICTED
    assert "lsat_en - full_retrain reads 'worse'" in result.sentence


@pytest.mark.parametrize(
    ("signals", "reason"),
    [
        ({"fine_tune": 0.8, "full_retrain": 0.9, "lsat_en": 1.1}, "not run: short_term"),
        ({name: 1.0 for name in LSAT_WINS}, "lsat_en - full_retrain: undecided"),
    ],
)
def test_finding_3_not_enough_evidence_says_why(signals, reason):
    result = finding(3, planted(NEXT_PERIOD, signals, own_noise=0.05))
    assert result.verdict == NOT_ENOUGH
    assert reason in result.sentence


def test_findings_are_json_ready():
    findings = check_findings([planted(NEXT_PERIOD, LSAT_WINS)])
    text = json.dumps([f.to_dict() for f in findings])
    assert [f["number"] for f in json.loads(text)] == [1, 2, 3]


def test_cells_where_one_model_served_both_runs_are_left_out():
    """Before m, long_term serves full retraining at t: its scores there are full_retrain's."""
    ev = planted(NEXT_PERIOD, {"full_retrain": 1.0, "long_term": 0.5})
    predictions = ev.predictions.copy()
    first = predictions["train_period"] == NEXT_CELLS[0][0]
    copied = predictions.loc[first & (predictions["run_id"] == 1), "score"].to_numpy()
    predictions.loc[first & (predictions["run_id"] == 2), "score"] = copied
    result = finding(1, Evidence(NEXT_PERIOD, ev.results, predictions))
    assert result.tests["samples"].tolist() == [3000]  # the second cell alone
    assert result.tests["estimate"].iloc[0] > 0.05
