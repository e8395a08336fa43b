"""The paper-preset estimate counts the comparison's real work on the ML-1M stream."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_paper_comparison_trains_55_adapters_and_its_hours_follow_the_rates(
    ml1m_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "estimate.json"
    subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "estimate_paper_run.py"),
            *("--cache-dir", str(ml1m_cache), "--json", str(out)),
        ],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    figures = json.loads(out.read_text())
    # Next-period, t = 1..19: full retraining, fine-tuning and short-term LoRAs of every t (the
    # long-term LoRA at m = 10 is full retraining's model of t = 10, shared), less two: at t = 1
    # all three train on train_1 from scratch, one model.
    assert figures["llm_models"] == 3 * 19 - 2
    # Full retraining at t trains on every earlier period: the bulk of the samples.
    assert figures["samples_trained"] > 19 * 8_000 * 2
    reference, plain = figures["hours"].values()
    expected = (figures["samples_trained"] / 104 + figures["prompts_scored"] / 220) / 3600
    assert reference == expected
    assert plain < reference
