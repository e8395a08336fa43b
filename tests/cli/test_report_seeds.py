"""`lsat report` over experiments whose strategies ran with several seeds (tests/support/
planted_comparison.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from planted_comparison import (
    PERIODS,
    STRONG_SIGNALS,
    PlantedComparison,
    plant_comparison,
    record_scoring,
)
from typer.testing import CliRunner

from cli.main import app
from lsat_core.store import (
    get_or_create_run,
    get_or_create_stream,
    make_engine,
    session_scope,
    temporary_schema,
)
from lsat_core.store.models import Run


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def planted(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if request.param == "sqlite":
        store = plant_comparison(f"sqlite:///{tmp_path / 'lsat.db'}")
        monkeypatch.setenv("LSAT_DATABASE_URL", store.url)
        yield store
        return
    with temporary_schema(request.getfixturevalue("postgres_url")) as url:
        monkeypatch.setenv("LSAT_DATABASE_URL", url)
        yield plant_comparison(url)


def report(*args: str) -> str:
    result = CliRunner().invoke(app, ["report", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_summarises_each_strategy_over_its_seeds_and_pairs_seed_with_seed(
    planted: PlantedComparison,
) -> None:
    decoded = json.loads(report(str(planted.seeds_experiment), "--json"))
    headline = {row["run_id"]: row for row in decoded["headline"]}
    seeds = {row["variant"]: row for row in decoded["seeds"]}
    assert seeds["strong"]["seeds"] == 3 and seeds["popularity"]["seeds"] == 1
    strong = [headline[planted.run_ids[f"strong/{s}"]]["mean_auc"] for s in range(3)]
    assert seeds["strong"]["mean_auc"] == pytest.approx(sum(strong) / 3)
    assert (seeds["strong"]["min_auc"], seeds["strong"]["max_auc"]) == (min(strong), max(strong))
    assert seeds["popularity"]["sd_auc"] is None  # one seed: no spread (NaN as null)
    # Seed 0 had the strongest planted signal, seed 1 the weakest.
    assert max(strong) == strong[STRONG_SIGNALS.index(max(STRONG_SIGNALS))]
    pairs = {(p["variant_a"], p["variant_b"]): p for p in decoded["seed_paired"]}
    assert set(pairs) == {("strong", "weak"), ("strong", "popularity"), ("weak", "popularity")}
    assert pairs[("strong", "weak")]["seeds"] == 3
    assert pairs[("strong", "weak")]["seeds_sd"] > 0 == pairs[("weak", "popularity")]["seeds_sd"]
    (experiment,) = decoded["experiments"]
    assert experiment["run_ids"] == sorted(
        i for k, i in planted.run_ids.items() if not k.startswith("other")
    )


def test_text_prints_the_seed_summary_and_the_seed_with_seed_tests(
    planted: PlantedComparison,
) -> None:
    text = report(str(planted.seeds_experiment), str(planted.elsewhere_experiment))
    assert "over seeds (sd: sample standard deviation across seeds" in text
    assert "paired tests of variants, seed with seed, combined over seeds" in text
    # "other" was scored on other samples: paired with no run.
    assert "p_holm over 3 pairs" in text and "Holm-adjusted over 21 pairs" in text


def test_runs_that_differ_in_more_than_the_seed_are_separate_variants(
    planted: PlantedComparison,
) -> None:
    engine = make_engine(planted.url)
    with session_scope(engine) as session:
        strong = session.get(Run, planted.run_ids["strong/0"])
        bigger = get_or_create_run(
            session,
            key="bigger-budget-strong",
            experiment_id=planted.elsewhere_experiment,
            name="strong",
            strategy="strong",
            backbone="b",
            protocol="next-period",
            config=strong.config | {"budget": {"test_per_period": 200, "seed": 0}},
            seed=0,
            stream_id=strong.stream_id,
        )
        for t in range(1, PERIODS):
            record_scoring(session, bigger.id, t, 1.0, 0)
    engine.dispose()
    decoded = json.loads(
        report(str(planted.seeds_experiment), str(planted.elsewhere_experiment), "--json")
    )
    variants = {row["run_id"]: row["variant"] for row in decoded["headline"]}
    assert variants[planted.run_ids["strong/2"]] == f"strong · seeds #{planted.seeds_experiment}"
    assert set(variants.values()) >= {
        "weak",
        "other",
        f"strong · elsewhere #{planted.elsewhere_experiment}",
    }


def test_runs_over_another_stream_are_not_paired_whatever_their_sample_ids(
    planted: PlantedComparison,
) -> None:
    engine = make_engine(planted.url)
    with session_scope(engine) as session:
        stream = get_or_create_stream(
            session,
            key="another",
            dataset="amazon-book",
            config={},
            source_checksum="1" * 64,
            num_periods=PERIODS,
            period_stats=[],
        )
        run = get_or_create_run(
            session,
            key="another-stream",
            experiment_id=planted.elsewhere_experiment,
            name="another",
            strategy="another",
            backbone="b",
            protocol="next-period",
            config={},
            seed=0,
            stream_id=stream.id,
        )
        for t in range(1, PERIODS):  # the same sample ids as the first stream's runs
            record_scoring(session, run.id, t, 1.0, 0)
    engine.dispose()
    decoded = json.loads(
        report(str(planted.seeds_experiment), str(planted.elsewhere_experiment), "--json")
    )
    paired_runs = {p["run_a"] for p in decoded["paired"]} | {p["run_b"] for p in decoded["paired"]}
    assert run.id not in paired_runs and planted.run_ids["strong/0"] in paired_runs
