"""Proximal fine-tuning's mu chosen on val_t from a grid (docs/method.md section 3, Proximal
fine-tuning; lsat_core.engine.proximal_search): the search keeps the best candidate and the whole
curve, the settings and the option say what is searched, and end to end with the tiny LLM on real
ML-1M samples the update records the chosen mu, the curve and the cost of every candidate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ml1m_data_dir import ml1m_settings
from sqlalchemy import select
from tiny_llm import tiny_experiment

from lsat_core.curve_points import CurveKind, CurvePoint
from lsat_core.engine.proximal_search import choose_proximal, curve_from_json, curve_to_json
from lsat_core.engine.update_settings import UpdateSettings
from lsat_core.errors import ConfigError
from lsat_core.runner.in_process import run_experiment
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.models import Artifact
from lsat_core.store.queries import results_frame
from lsat_core.strategies.proximal import PROXIMAL_COEFFICIENT

LABELS = np.array([0, 0, 1, 1])
VAL_SCORES = {  # mu -> scores on val_t: 0.1 and 1 tie at AUC 1.0
    0.0: np.array([0.4, 0.6, 0.5, 0.7]),
    0.1: np.array([0.1, 0.2, 0.8, 0.9]),
    1.0: np.array([0.3, 0.2, 0.8, 0.9]),
    10.0: np.array([0.9, 0.8, 0.2, 0.1]),
}


def test_the_best_candidate_on_val_t_is_kept_with_the_whole_curve() -> None:
    passed: list[CurvePoint] = []
    handed: list[float | None] = []

    def train(mu: float, sink, first: float | None) -> float:
        handed.append(first)
        sink(CurvePoint(CurveKind.VAL_AUC, 1, 8, mu))
        return mu

    choice = choose_proximal(
        tuple(VAL_SCORES), train, VAL_SCORES.__getitem__, LABELS, passed.append
    )

    assert choice.kept == 0.1  # of the tied best, the earlier (weaker) pull
    assert sorted(choice.candidates) == sorted(VAL_SCORES)
    assert choice.curve.coefficients == tuple(VAL_SCORES)
    assert [r.auc for r in choice.curve.aucs] == [0.75, 1.0, 1.0, 0.0]
    assert [p.value for p in passed] == [0.1]  # only the kept candidate's learning curve
    assert handed == [None, 0.0, 0.0, 0.0]  # each after the first is handed the first
    assert curve_from_json(curve_to_json(choice.curve)) == choice.curve


def test_the_settings_say_what_is_searched() -> None:
    assert UpdateSettings().proximal_candidates == (0.0, 0.1, 1.0, 10.0)
    assert UpdateSettings(proximal_coefficient=2).proximal_candidates == (2.0,)
    assert UpdateSettings(proximal_grid=[0, 5]).proximal_grid == (0.0, 5.0)  # a stored list
    for bad in ((), (0.1, -1.0), "0,1"):
        with pytest.raises(ConfigError, match="proximal_grid"):
            UpdateSettings(proximal_grid=bad)
    # The option: search (its default) searches, a number fixes mu, 0 (fine-tuning) included.
    assert PROXIMAL_COEFFICIENT.default == "search"
    assert PROXIMAL_COEFFICIENT.config_value("search") is None
    assert PROXIMAL_COEFFICIENT.config_value("0") == 0.0
    assert PROXIMAL_COEFFICIENT.config_value(0.5) == 0.5


@pytest.fixture
def settings(tmp_path: Path, ml1m_cache: Path) -> Settings:
    return ml1m_settings(tmp_path, ml1m_cache)


@pytest.mark.timeout(600)
def test_the_update_records_the_chosen_mu_its_curve_and_every_candidates_cost(
    settings: Settings, tiny_model_dir: Path
) -> None:
    config = tiny_experiment(
        tiny_model_dir,
        ("fine_tune", "proximal"),
        update_periods=(2,),
        updates=UpdateSettings(proximal_grid=(0.0, 50.0)),
    )
    engine, prepared = run_experiment(config, settings, name="proximal grid")
    with session_scope(engine) as session:
        frame = results_frame(session, list(prepared.run_ids.values()))
        stored = {a.config["spec"]: a for a in session.scalars(select(Artifact))}

    rows = frame[(frame["role"] == "model") & (frame["segment"] == "all")].set_index("strategy")
    proximal = rows.loc["proximal"]
    curve = proximal["coefficient_curve"]
    assert [point["coefficient"] for point in curve] == [0.0, 50.0]
    best = max(point["auc"] for point in curve)
    assert proximal["coefficient"] == next(p["coefficient"] for p in curve if p["auc"] == best)
    # Two candidates trained from the shared period-1 LoRA, each on fine-tuning's data.
    assert proximal["samples_trained"] == 2 * rows.loc["fine_tune", "samples_trained"]
    model = stored["lora:proximal@2"]
    assert model.config["proximal_grid"] == [0.0, 50.0]
    assert [p["auc"] for p in model.metrics["proximal_curve"]] == [p["auc"] for p in curve]
    assert rows.loc["fine_tune", "coefficient_curve"] is None
