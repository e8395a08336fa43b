from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from planted_comparison import planted_stream, record_scored_cell
from typer.testing import CliRunner

from app.analysis import protocol_summary, with_run_labels
from cli.main import app
from lsat_core.errors import InputError
from lsat_core.store import (
    create_experiment,
    get_or_create_run,
    make_engine,
    results_frame,
    session_scope,
    temporary_schema,
    upgrade,
)

PERIODS = 4
SAMPLES = 300


@dataclass(frozen=True)
class Store:
    url: str
    first: int
    """Experiment with a strong and a weak run."""
    second: int
    """Experiment with one run as strong as the first's, on the same samples."""


def _record_scoring(session, run_id: int, strength: float, t: int) -> None:
    """The model updated at t tested on D_{t+1}, recorded as the period loop records it."""
    e = t + 1
    rng = np.random.default_rng(e)  # every run sees the same samples and shared noise
    labels = rng.integers(0, 2, SAMPLES)
    shared = rng.normal(size=SAMPLES)
    scores = (
        strength * labels + shared + 0.3 * np.random.default_rng([run_id, e]).normal(size=SAMPLES)
    )
    users = [f"u{i % 15}" for i in range(SAMPLES)]
    frame = pd.DataFrame(
        {"sample_id": np.arange(SAMPLES) + 1000 * e, "user": users, "item": "i", "label": labels}
    ).assign(warm=True, score=scores)
    record_scored_cell(session, run_id, t, e, frame)


def seed(url: str) -> Store:
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        stream = planted_stream(session, "s", PERIODS)
        experiments = []
        for name, strategies in (("first", ("strong", "weak")), ("second", ("also_strong",))):
            experiment = create_experiment(session, name=name, protocol="next-period", config={})
            experiments.append(experiment.id)
            for strategy in strategies:
                run = get_or_create_run(
                    session,
                    key=strategy,
                    experiment_id=experiment.id,
                    name=strategy,
                    strategy=strategy,
                    backbone="b",
                    protocol="next-period",
                    config={},
                    seed=0,
                    stream_id=stream.id,
                )
                for t in range(1, PERIODS):
                    _record_scoring(session, run.id, 0.6 if strategy == "weak" else 1.0, t)
    engine.dispose()
    return Store(url, *experiments)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if request.param == "sqlite":
        seeded = seed(f"sqlite:///{tmp_path / 'lsat.db'}")
        monkeypatch.setenv("LSAT_DATABASE_URL", seeded.url)
        yield seeded
        return
    with temporary_schema(request.getfixturevalue("postgres_url")) as url:
        monkeypatch.setenv("LSAT_DATABASE_URL", url)
        yield seed(url)


def invoke(*args: str):
    result = CliRunner().invoke(app, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_report_json_sets_experiments_side_by_side_with_paired_tests(store: Store) -> None:
    decoded = json.loads(invoke(str(store.first), str(store.second), "--json"))
    assert [e["id"] for e in decoded["experiments"]] == [store.first, store.second]
    assert decoded["standard"] and decoded["note"] is None
    assert decoded["cells"] == [[2, 3], [3, 4]]  # D_3 and D_4: the second half of T = 4
    headline = {row["run_name"]: row for row in decoded["headline"]}
    assert set(headline) == {"strong", "weak", "also_strong"}
    assert all(
        row["uauc_users"] == 15 and row["mean_uauc"] is not None for row in headline.values()
    )
    # All three runs share their samples, across the two experiments: three pairs.
    names = {row["run_id"]: row["run_name"] for row in decoded["headline"]}
    pairs = {(names[p["run_a"]], names[p["run_b"]]): p for p in decoded["paired"]}
    assert set(pairs) == {("strong", "weak"), ("strong", "also_strong"), ("weak", "also_strong")}
    assert pairs[("strong", "weak")]["difference"] > 0
    assert pairs[("strong", "weak")]["p_holm"] < 0.05
    assert pairs[("strong", "also_strong")]["p_holm"] >= pairs[("strong", "also_strong")]["p_value"]
    assert len(decoded["paired_cells"]) == 3 * 2


def test_report_headline_agrees_with_the_dashboard_summary(store: Store) -> None:
    decoded = json.loads(invoke(str(store.first), "--json"))
    engine = make_engine(store.url)
    with session_scope(engine) as session:
        results = with_run_labels(
            results_frame(session, [r["run_id"] for r in decoded["headline"]])
        )
    engine.dispose()
    dashboard = protocol_summary(results, "next-period", PERIODS).set_index("run_id")
    for row in decoded["headline"]:
        shown = dashboard.loc[row["run_id"]]
        assert row["mean_auc"] == pytest.approx(shown["mean_auc"])
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((shown["ci_low"], shown["ci_high"]))
        assert row["cells"] == shown["cells"]


def test_report_text_names_the_periods_and_the_pairs(store: Store) -> None:
    text = invoke(str(store.first))
    assert f"experiments {store.first} (first): next-period, T = 4" in text
    assert "headline over D_3, D_4" in text
    assert "Holm-adjusted over 1 pairs" in text


def test_an_unknown_experiment_is_an_input_error(store: Store) -> None:
    result = CliRunner().invoke(app, ["report", "999"])
    assert isinstance(result.exception, InputError)
    assert "no experiment 999" in str(result.exception)
