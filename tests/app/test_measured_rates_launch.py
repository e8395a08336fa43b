"""The launch form prices its estimate at the rates this machine measured, when the store has
them, and says so."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import work_estimate
from lsat_core.store import make_engine, session_scope
from lsat_core.store.artifacts import claim_artifact, complete_artifact
from lsat_core.store.results import record_period_result
from lsat_core.store.runs import create_experiment, get_or_create_run

BACKBONE = "smollm2-135m"


pytestmark = pytest.mark.usefixtures("served_on_loopback")


def _measure(url: str) -> None:
    """48 prompts scored in 24 s (2 a second), 32 samples trained in 40 s (0.8 a second)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="m", protocol="p", config={}).id
        run_id = get_or_create_run(
            session,
            key="measured",
            experiment_id=experiment_id,
            name="short_term",
            strategy="short_term",
            backbone=BACKBONE,
            protocol="p",
            config={},
            seed=0,
        ).id
        record_period_result(
            session,
            run_id=run_id,
            train_period=1,
            eval_period=2,
            auc=0.6,
            n=48,
            positives=20,
            eval_seconds=24.0,
            device="cpu",
        )
        claim_artifact(session, "a", "owner", kind="lora", config={"backbone": BACKBONE})
        complete_artifact(
            session,
            "a",
            "owner",
            path="p",
            sha256="s",
            metrics={"samples_trained": 32, "seconds": 40.0, "device": "cpu"},
        )
    engine.dispose()


def test_the_estimate_uses_the_rates_measured_here(
    private_app_env, app_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(work_estimate, "local_rates", lambda: work_estimate.cpu_rates(2))
    _measure(private_app_env.url)
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    app = app.switch_page("views/launch.py").run()
    app.multiselect(key="launch_strategies").set_value(["full_retrain", "short_term"]).run()

    # The quick preset's 256 samples and 1,408 prompts (full@2, short@2 on 192 and 64 samples
    # in steps of 8, validated every 4 steps: 6 + 2 validations of 64, 2 tests of 448):
    # 256 / 0.8 + 1408 / 2 = 1024 s.
    assert {m.label: m.value for m in app.metric}["Rough time"] == "17 min 4 s"
    (caption,) = [c.value for c in app.caption if "prompts scored" in c.value]
    assert f"this machine (cpu, measured with {BACKBONE})" in caption
    assert "measured here: 1 test scorings and 1 LoRA trainings in the store" in caption
