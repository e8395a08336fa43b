from __future__ import annotations

import json
from pathlib import Path

import pytest
from planted_comparison import plant_comparison
from streamlit.testing.v1 import AppTest

from cli.report_command import report_json, report_of
from lsat_core.store import make_engine


def _csv_names(app: AppTest) -> list[str]:
    """The file keys of the page's CSV downloads (its charts may offer images too)."""
    ids = [button.proto.id for button in app.download_button]
    return [i.rsplit("-csv_", 1)[1] for i in ids if "-csv_" in i]


def test_headline_over_the_periods_every_run_tested_beside_the_paper_with_costs_and_curves(
    run_page, app_env, chart_frames
) -> None:
    app = run_page("compare.py", experiment=app_env.next_experiment_id)

    assert not app.exception
    # fine_tune failed after D_2, lsat_en is still running: D_2 is the one period all tested.
    note, no_pair = (w.value for w in app.warning)
    assert note == (
        "Not the protocol's standard headline: none of the protocol's summary periods D_4, D_5, "
        "D_6 was tested by every run; the headline averages tested periods D_2."
    )
    summary = app.dataframe[0].value.set_index("strategy")
    assert summary["mean_auc"].to_dict() == pytest.approx(
        {"full_retrain": 0.72, "lsat_en": 0.76, "fine_tune": 0.71}
    )
    # One cell: its stored interval +-0.02.
    assert summary.loc["full_retrain", "ci_low"] == pytest.approx(0.70)
    assert summary.loc["full_retrain", "ci_high"] == pytest.approx(0.74)
    assert summary["protocol_cells"].to_dict() == {
        "full_retrain": "3 / 3",
        "lsat_en": "1 / 3",
        "fine_tune": "0 / 3",
    }
    assert summary.loc["full_retrain", "paper_auc"] == pytest.approx(0.7650)
    assert summary.loc["lsat_en", "paper_auc"] == pytest.approx(0.7720)
    costs = app.dataframe[1].value.set_index("strategy")
    # Segments and the ensemble's long/short rows repeat an update's cost: counted once.
    assert costs.loc["full_retrain", ["updates", "samples_trained", "train_seconds"]].tolist() == [
        5,
        900 * 15,
        150.0,
    ]
    per_period, accuracy_cost, curves = chart_frames(app)
    assert len(per_period) == 5 + 3 + 1
    assert accuracy_cost.set_index("label")["samples_trained"].to_dict() == {
        "full_retrain": 13500,
        "lsat_en": 5400,
        "fine_tune": 900,
    }
    assert len(curves) == 3 * 11
    assert curves[curves["chosen"]]["coefficient"].tolist() == [0.3, 0.3, 0.3]
    assert app.caption[-1].value == "alpha chosen per update period: t=1: 0.3, t=2: 0.3, t=3: 0.3"
    # The seeded runs kept no predictions: no pair can be tested.
    assert no_pair.startswith("full_retrain and lsat_en were not scored on the same test samples")
    name = f"experiments_{app_env.next_experiment_id}"
    assert _csv_names(app) == [
        f"{name}_summary",
        f"{name}_auc_per_period",
        f"{name}_accuracy_vs_samples_trained",
        f"run_{app_env.lsat_en_run_id}_alpha_curves",
    ]


def test_cost_measure_switches_the_accuracy_cost_chart(run_page, app_env, chart_frames) -> None:
    app = run_page("compare.py", experiment=app_env.next_experiment_id)

    app.radio(key="cost_measure").set_value("train_seconds").run()

    accuracy_cost = chart_frames(app)[1]
    assert accuracy_cost.set_index("label")["train_seconds"].to_dict() == {
        "full_retrain": 150.0,
        "lsat_en": 60.0,
        "fine_tune": 10.0,
    }


def test_fixed_target_summary_averages_every_model_on_the_last_period(run_page, app_env) -> None:
    app = run_page("compare.py", experiment=app_env.fixed_experiment_id)

    # Every planned cell was tested: the protocol's own headline, no note (the one warning
    # says the seeded runs kept no predictions to pair).
    (warning,) = app.warning
    assert "not scored on the same test samples" in warning.value
    summary = app.dataframe[0].value.set_index("strategy")
    assert "paper_auc" not in summary  # the paper's table is for the next-period protocol
    # Models of t = 1..5 on D_6: 0.705..0.725 (fine-tuning 0.01 lower); one shared test set, so
    # their interval half-widths add up: 5 * 0.02 / 5.
    assert summary["mean_auc"].to_dict() == pytest.approx(
        {"full_retrain": 0.715, "fine_tune": 0.705}
    )
    assert summary.loc["full_retrain", "ci_high"] == pytest.approx(0.715 + 0.02)
    assert "No run of these experiments stores validation curves" in app.caption[-1].value


def test_experiments_of_two_protocols_are_refused_with_the_reason(run_page, app_env) -> None:
    ids = f"{app_env.next_experiment_id},{app_env.fixed_experiment_id}"
    app = run_page("compare.py", experiments=ids)

    (error,) = app.error
    assert error.value == (
        "These experiments cannot be set side by side: experiment: the experiments use "
        "different protocols (fixed-target, next-period)"
    )


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None):
    store = plant_comparison(f"sqlite:///{tmp_path / 'lsat.db'}")
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LSAT_DATABASE_URL", store.url)
    return store


def _compare(app_dir: Path, experiments: str, **params: str) -> AppTest:
    app = AppTest.from_file(app_dir / "views" / "compare.py", default_timeout=60)
    app.query_params.update({"experiments": experiments, **params})
    return app.run()


def _table(app: AppTest, *columns: str):
    """The one table on the page with these columns (AppTest does not expose their keys)."""
    (frame,) = [d.value for d in app.dataframe if set(columns) <= set(d.value.columns)]
    return frame


def test_the_page_and_lsat_report_agree_on_two_experiments_with_seeds(planted, app_dir) -> None:
    ids = (planted.seeds_experiment, planted.elsewhere_experiment)
    app = _compare(app_dir, ",".join(map(str, ids)))
    engine = make_engine(planted.url)
    printed = json.loads(json.dumps(report_json(*report_of(engine, list(ids)))))
    engine.dispose()

    assert not app.exception and not app.warning  # D_3, D_4: the protocol's own headline
    shown = _table(app, "protocol_cells").set_index("run_id")
    for row in printed["headline"]:
        for column in ("mean_auc", "ci_low", "ci_high", "mean_uauc", "uauc_users", "cells"):
            assert shown.loc[row["run_id"], column] == pytest.approx(row[column]), column
    assert shown.loc[planted.run_ids["strong/1"], "label"] == "strong · seed 1"
    assert shown.loc[planted.run_ids["other/0"], "experiment_id"] == planted.elsewhere_experiment
    seeds = _table(app, "per_seed").set_index("variant")
    for row in printed["seeds"]:
        assert seeds.loc[row["variant"], "mean_auc"] == pytest.approx(row["mean_auc"])
        assert seeds.loc[row["variant"], "seeds"] == row["seeds"]
    assert seeds.loc["strong", "sd_auc"] > seeds.loc["weak", "sd_auc"]  # planted spread
    seed_pairs = _table(app, "variant_a").set_index(["variant_a", "variant_b"])
    strong_weak = seed_pairs.loc[("strong", "weak")]
    assert strong_weak["seeds"] == 3 and strong_weak["difference"] > 0
    pairs = _table(app, "label_a")
    assert len(pairs) == len(printed["paired"]) == 7 * 6 // 2  # "other" pairs with none
    for shown_pair, row in zip(pairs.to_dict("records"), printed["paired"], strict=True):
        assert (shown_pair["run_a"], shown_pair["run_b"]) == (row["run_a"], row["run_b"])
        assert shown_pair["p_holm"] == pytest.approx(row["p_holm"])


def test_two_runs_are_tested_on_their_shared_samples_and_others_are_refused(
    planted, app_dir
) -> None:
    ids = f"{planted.seeds_experiment},{planted.elsewhere_experiment}"
    weak, strong = planted.run_ids["weak/0"], planted.run_ids["strong/0"]
    app = _compare(app_dir, ids, run_a=str(weak), run_b=str(strong))

    cells = _table(app, "eval_period", "difference")
    # weak - strong: read in the order chosen, so every difference is negative.
    assert cells["eval_period"].tolist() == [3, 4]
    assert (cells["difference"] < 0).all() and (cells["ci_high"] < 0).all()
    assert (cells["auc_a"] < cells["auc_b"]).all()
    (pooled,) = [m.value for m in app.markdown if m.value.startswith("**weak · seed 0 - ")]
    assert "over 2 cells: -0.1447" in pooled
    # Beside the differences, each run's own AUC (with its interval) and uAUC per cell.
    own = _table(app, "uauc")
    assert own["label"].tolist() == ["weak · seed 0"] * 2 + ["strong · seed 0"] * 2
    assert own["auc"].tolist() == pytest.approx([*cells["auc_a"], *cells["auc_b"]])
    assert (own["ci_low"] < own["auc"]).all() and set(own["uauc_users"]) == {12}

    app = _compare(app_dir, ids, run_a=str(strong), run_b=str(planted.run_ids["other/0"]))
    (warning,) = app.warning
    assert warning.value.startswith(
        "strong · seed 0 and other were not scored on the same test samples"
    )


def test_floors_are_dashed_reference_lines_on_the_auc_charts(planted, app_dir) -> None:
    app = _compare(app_dir, str(planted.seeds_experiment))

    per_period, accuracy_cost = (json.loads(c.proto.spec) for c in app.get("vega_lite_chart"))
    dashed = [layer for layer in per_period["layer"] if "strokeDash" in layer["mark"]]
    assert dashed and all("popularity" in t["filter"] for t in dashed[0]["transform"])
    names = [layer for layer in per_period["layer"] if layer["mark"]["type"] == "text"]
    assert any(layer["encoding"]["text"]["field"] == "label" for layer in names)
    # Against cost, runs of one cost share a vertical: no name is written beside a point or a
    # rule (they overlapped at 0), the legends name them, each floor with its own dash.
    assert not [layer for layer in accuracy_cost["layer"] if layer["mark"]["type"] == "text"]
    (rules,) = [layer for layer in accuracy_cost["layer"] if layer["mark"]["type"] == "rule"]
    assert rules["encoding"]["strokeDash"]["field"] == "label"
    assert "popularity" in rules["transform"][0]["filter"]
    # The runs' own layers leave the floor out.
    points = [layer for layer in accuracy_cost["layer"] if layer["mark"]["type"] == "point"]
    assert points[0]["transform"][0]["filter"].startswith("!(")
