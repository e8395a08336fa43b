"""Classic runs show no backbone on the monitor: only LoRA-family strategies load the LLM
(issue 12, from the browser run: `mf:full_retrain` read "smollm2-135m")."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from app.run_backbones import run_backbones
from lsat_core.store import get_or_create_run, make_engine, session_scope


def test_only_strategies_that_score_with_the_llm_keep_their_backbone() -> None:
    runs = pd.DataFrame(
        {
            "strategy": ["lsat_en", "in_context", "mf:full_retrain", "popularity", "retired"],
            "backbone": ["smollm2-135m"] * 5,
        }
    )

    shown = run_backbones(runs)

    assert shown.isna().tolist() == [False, False, True, True, False]
    assert set(shown.dropna()) == {"smollm2-135m"}


def test_the_monitor_leaves_a_classic_runs_backbone_empty(private_app_env, app_dir) -> None:
    store = private_app_env
    engine = make_engine(store.url)
    with session_scope(engine) as session:
        get_or_create_run(
            session,
            key="next-period-mf:full_retrain",
            experiment_id=store.next_experiment_id,
            name="mf:full_retrain",
            strategy="mf:full_retrain",
            backbone="smollm2-135m",
            protocol="next-period",
            config={"strategy": "mf:full_retrain"},
            seed=0,
            stream_id=store.stream_id,
        )
    engine.dispose()
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(store.next_experiment_id)
    app.run()

    assert not app.exception
    backbones = app.dataframe[0].value.set_index("name")["backbone"]
    assert backbones["lsat_en"] == "smollm2-135m"
    assert pd.isna(backbones["mf:full_retrain"])
