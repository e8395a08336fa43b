"""The Findings page and `lsat report` on one planted store: the same verdicts and sentences."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from planted_comparison import planted_stream, record_scored_cell
from streamlit.testing.v1 import AppTest

from cli.report_command import findings_json, findings_text, report_of
from lsat_core.evaluation.protocols import HELD_OUT_ITEMS, NEXT_PERIOD
from lsat_core.store import (
    create_experiment,
    get_or_create_run,
    make_engine,
    session_scope,
    upgrade,
)

PERIODS = 4
NEXT = {
    "full_retrain": 1.0,
    "fine_tune": 1.0,
    "lsat_en": 1.4,
    "short_term": 1.4,
    "mf:full_retrain": 1.0,
    "mf:fine_tune": 0.6,
}
"""Finding 1 and 3 supported: the LLM's updates equal, LSAT and short-term far ahead, MF gains."""
HELD = {"full_retrain": 1.0, "mf:full_retrain": 1.0}
"""Finding 2 supported: MF scores the held-out (cold) items by noise alone."""


@dataclass(frozen=True)
class Planted:
    url: str
    next_id: int
    held_id: int


def _record(session, run_id, strategy, signal, t, e, samples, cold_share) -> None:
    rng = np.random.default_rng(e)  # every run sees the same samples and shared noise
    labels = rng.integers(0, 2, samples)
    cold = rng.random(samples) < cold_share
    strength = np.where(cold & strategy.startswith("mf:"), 0.0, signal)
    scores = strength * labels + rng.normal(size=samples)
    scores += 0.05 * np.random.default_rng([run_id, e]).normal(size=samples)
    frame = pd.DataFrame(
        {"sample_id": np.arange(samples) + 10_000 * e, "user": "u", "item": "i", "label": labels}
    ).assign(warm=~cold, score=scores)
    record_scored_cell(session, run_id, t, e, frame, with_uauc=False)


def plant(url: str) -> Planted:
    upgrade(url)
    engine = make_engine(url)
    plans = {
        NEXT_PERIOD: (NEXT, [(t, t + 1) for t in range(1, PERIODS)], 600, 0.0),
        HELD_OUT_ITEMS: (HELD, [(3, 4)], 2000, 0.5),
    }
    ids = []
    with session_scope(engine) as session:
        stream = planted_stream(session, "planted", PERIODS)
        for protocol, (signals, cells, samples, cold_share) in plans.items():
            experiment = create_experiment(session, name=protocol, protocol=protocol, config={})
            ids.append(experiment.id)
            for strategy, signal in signals.items():
                run = get_or_create_run(
                    session,
                    key=f"{protocol}-{strategy}",
                    experiment_id=experiment.id,
                    name=strategy,
                    strategy=strategy,
                    backbone="b",
                    protocol=protocol,
                    config={"strategy": strategy},
                    seed=0,
                    stream_id=stream.id,
                )
                for t, e in cells:
                    _record(session, run.id, strategy, signal, t, e, samples, cold_share)
    engine.dispose()
    return Planted(url, *ids)


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> Planted:
    url = f"sqlite:///{tmp_path / 'findings.db'}"
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LSAT_DATABASE_URL", url)
    return plant(url)


def test_the_page_shows_each_finding_with_its_verdict_and_agrees_with_lsat_report(
    planted: Planted, app_dir: Path, download_names
) -> None:
    app = AppTest.from_file(app_dir / "views" / "findings.py", default_timeout=60)
    app.query_params["experiments"] = f"{planted.next_id},{planted.held_id}"
    app.run()

    assert not app.exception
    badges = [m.value for m in app.markdown if "-badge[" in m.value]
    assert badges == [":green-badge[supported]"] * 3
    sentences = [m.value for m in app.markdown if m.value.startswith("Finding ")]
    assert [s.split(",")[0] for s in sentences] == ["Finding 1", "Finding 2", "Finding 3"]
    assert all(s.endswith("Verdict: supported.") for s in sentences)
    tables = [frame.value for frame in app.dataframe]
    assert [len(t) for t in tables] == [2, 3, 3]  # no long_term run: two tests in finding 1
    assert download_names(app) == ["finding_1", "finding_2", "finding_3"]

    # `lsat report` of the next-period experiment: findings 1 and 3 word for word.
    engine = make_engine(planted.url)
    try:
        compared, _ = report_of(engine, [planted.next_id])
    finally:
        engine.dispose()
    printed = findings_json(compared)
    text = findings_text(compared).splitlines()
    assert text[1:] == [f"- [{f['verdict']}] {f['sentence']}" for f in printed]
    assert [f["verdict"] for f in printed] == ["supported", "not enough evidence", "supported"]
    assert [printed[0]["sentence"], printed[2]["sentence"]] == [sentences[0], sentences[2]]
    # Its finding 2 falls back on the next-period runs, which have no cold sample.
    assert "only 0 test samples" in printed[1]["sentence"]
    assert printed[1]["sentence"].endswith("launch the held-out-items protocol).")


def test_without_a_held_out_experiment_finding_2_has_not_enough_evidence(
    planted: Planted, app_dir: Path
) -> None:
    app = AppTest.from_file(app_dir / "views" / "findings.py", default_timeout=60)
    app.query_params["experiments"] = f"{planted.next_id}"
    app.run()
    assert not app.exception
    verdicts = [m.value for m in app.markdown if "-badge[" in m.value]
    assert verdicts == [
        ":green-badge[supported]",
        ":gray-badge[not enough evidence]",
        ":green-badge[supported]",
    ]
