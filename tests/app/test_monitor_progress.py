"""The run monitor's experiment-level progress: the plan's tasks, time left, updates planned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lsat_core.engine.presets import preset_config
from lsat_core.store import make_engine, session_scope
from lsat_core.store.events import update_progress
from lsat_core.store.models import Event, EventKind, TaskProgress
from lsat_core.store.runs import create_experiment, get_or_create_run

PLAN = {
    "t1": "train lora:short@1",
    "t2": "train lora:short@2",
    "e1": "evaluate short_term at t=1",
    "e2": "evaluate short_term at t=2",
}


def _log(session, experiment_id: int, task: str, message: str, ago: float) -> None:
    at = datetime.now(UTC) - timedelta(seconds=ago)
    session.add(
        Event(
            experiment_id=experiment_id,
            task_key=task,
            kind=EventKind.INFO,
            message=message,
            created_at=at,
        )
    )


def _quick_experiment(url: str) -> int:
    """A quick-preset experiment (updates at t = 1, 2) half-way through its four tasks."""
    config = preset_config("quick", ("short_term",), update_periods=(1, 2))
    engine = make_engine(url)
    with session_scope(engine) as session:
        experiment_id = create_experiment(
            session, name="quick", protocol=config.protocol, config=config.to_dict()
        ).id
        get_or_create_run(
            session,
            key="quick-short",
            experiment_id=experiment_id,
            name="short_term",
            strategy="short_term",
            backbone="tiny",
            protocol=config.protocol,
            config={},
            seed=0,
        )
        for task, what in PLAN.items():
            _log(session, experiment_id, task, f"queued on cpu: {what}", 400)
        _log(session, experiment_id, "t1", "started train lora:short@1 on h", 300)
        _log(session, experiment_id, "t1", "finished train lora:short@1: ...", 200)
        _log(session, experiment_id, "e1", "started evaluate short_term at t=1 on h", 200)
        _log(session, experiment_id, "e1", "finished evaluate short_term at t=1", 140)
        _log(session, experiment_id, "t2", "started train lora:short@2 on h", 140)
        _log(session, experiment_id, "t2", "finished train lora:short@2: ...", 40)
        _log(session, experiment_id, "e2", "started evaluate short_term at t=2 on h", 20)
    engine.dispose()
    return experiment_id


def test_the_experiments_own_progress_and_time_left_from_its_plan(
    private_app_env, app_dir: Path
) -> None:
    experiment_id = _quick_experiment(private_app_env.url)
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(experiment_id)
    app.run()

    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Tasks done"] == "3 of 4"
    assert metrics["Models trained"] == "2 of 2"
    assert metrics["Evaluations"] == "1 of 2"
    # e2 has run 20 s of the 60 s evaluations took here: about 40 s left.
    # (less the seconds this test has taken so far).
    assert metrics["Time left"].endswith(" s") and 30 <= int(metrics["Time left"][:-2]) <= 40
    bars = [bar.proto.text for bar in app.get("progress")]
    assert bars[0] == "experiment · 3/4 tasks"
    # The evaluation reports no steps: its bar is its time against the measured duration.
    assert bars[1].startswith("e2 · evaluate short_term at t=2 · running 2")
    assert bars[1].endswith("of about 1 min 0 s measured")
    captions = [c.value for c in app.caption]
    assert any(
        "evaluate short_term 1 min 0 s (this experiment)" in c
        and "train lora 1 min 40 s (this experiment)" in c
        for c in captions
    )
    assert "No task is running." not in captions
    # "Updates of N" counts the updates the config plans (t = 1, 2), not every period.
    runs = app.dataframe[0]
    assert json.loads(runs.proto.columns)["updates"]["label"] == "Updates of 2"


def test_a_tasks_old_report_shows_its_age_not_a_countdown(private_app_env, app_dir: Path) -> None:
    experiment_id = _quick_experiment(private_app_env.url)
    engine = make_engine(private_app_env.url)
    with session_scope(engine) as session:
        update_progress(
            session, "e2", 1, 2, eta_seconds=50.0, message="score", experiment_id=experiment_id
        )
        session.get_one(TaskProgress, "e2").updated_at = datetime.now(UTC) - timedelta(seconds=95)
    engine.dispose()
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(experiment_id)
    app.run()
    bars = [bar.proto.text for bar in app.get("progress")]
    assert bars[1].startswith("e2 · 1/2 · score · ETA 50 s (reported 1 min 3")
    assert bars[1].endswith(" s ago)")
    # Its own ETA counts for the time left: one task, 50 s.
    assert {m.label: m.value for m in app.metric}["Time left"] == "50 s"


def test_a_task_that_stopped_early_has_no_bar_once_it_ended(private_app_env, app_dir: Path) -> None:
    """Early stopping ends a training at 36,000 of 180,000 samples: its last report is not its
    last step, but the event log says it finished."""
    experiment_id = _quick_experiment(private_app_env.url)
    engine = make_engine(private_app_env.url)
    with session_scope(engine) as session:
        update_progress(
            session, "t2", 2, 10, eta_seconds=30.0, message="train", experiment_id=experiment_id
        )
    engine.dispose()
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(experiment_id)
    app.run()

    bars = [bar.proto.text for bar in app.get("progress")]
    assert not any(text.startswith("t2 ") for text in bars), bars
    assert bars[1].startswith("e2 · evaluate short_term at t=2 · running")


def test_an_ended_experiment_shows_no_task_running_whatever_its_last_reports(
    private_app_env, app_dir: Path
) -> None:
    # An in-process run that failed mid-training leaves its last report (3 of 10) behind.
    store = private_app_env
    engine = make_engine(store.url)
    with session_scope(engine) as session:
        update_progress(
            session,
            f"in-process:{store.fixed_experiment_id}:1",
            3,
            10,
            message="train lora:full@2",
            experiment_id=store.fixed_experiment_id,
        )
    engine.dispose()
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(store.fixed_experiment_id)
    app.run()

    assert not app.exception
    assert not app.get("progress")
    assert "No task is running." in [c.value for c in app.caption]
