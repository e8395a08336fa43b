from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app import service
from app.widgets import format_seconds
from lsat_core.store import (
    RunStatus,
    create_experiment,
    get_or_create_run,
    make_engine,
    record_period_result,
    session_scope,
)
from lsat_core.store.queries import get_experiment, list_runs


def test_runs_progress_results_and_errors_of_the_experiment_in_the_url(
    run_page, app_env, chart_frames, download_names
) -> None:
    app = run_page("monitor.py", experiment=app_env.next_experiment_id)

    assert not app.exception
    assert app.selectbox(key="select_experiment").value == app_env.next_experiment_id
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Status"] == "running"
    assert metrics["Protocol"] == "next-period"
    runs = app.dataframe[0].value.set_index("name")
    assert runs["status"].to_dict() == {
        "full_retrain": "succeeded",
        "lsat_en": "running",
        "fine_tune": "failed",
    }
    assert runs["updates"].to_dict() == {"full_retrain": 5, "lsat_en": 3, "fine_tune": 1}
    assert [e.value for e in app.error] == [
        f"Run #{app_env.fine_tune_run_id} fine_tune (failed): RuntimeError: CUDA out of memory"
    ]
    # Only the unfinished task has a bar: 30 of 120 steps, 95 s to go.
    (bar,) = app.get("progress")
    assert bar.proto.value == 25
    # (followed by the report's age once the seeded store is older than half a minute)
    assert bar.proto.text.startswith(
        f"run:{app_env.lsat_en_run_id}:period:4:train · 30/120 · training LoRA · ETA 1 min 35 s"
    )
    (auc,) = chart_frames(app)
    assert len(auc) == 5 + 3 + 1  # one point per result of the served model on all items
    table = app.dataframe[1].value
    assert table.loc[6, "full_retrain"] == pytest.approx(0.76)
    assert table.loc[4, "lsat_en"] == pytest.approx(0.78)
    assert download_names(app) == [
        f"experiment_{app_env.next_experiment_id}_auc",
        f"experiment_{app_env.next_experiment_id}_auc_table",
    ]
    events = app.dataframe[2].value
    assert events["message"].tolist() == ["RuntimeError: CUDA out of memory", "experiment started"]
    assert "1 errors" in app.caption[-1].value


def test_events_of_one_run_from_the_url(run_page, app_env) -> None:
    app = run_page(
        "monitor.py", experiment=app_env.next_experiment_id, run=app_env.fine_tune_run_id
    )

    events = app.dataframe[-1].value
    assert events["kind"].tolist() == ["error"]
    assert events["run_id"].tolist() == [app_env.fine_tune_run_id]


def test_choosing_an_experiment_puts_it_in_the_url(run_page, app_env) -> None:
    app = run_page("monitor.py")
    assert app.query_params["experiment"] == str(app_env.fixed_experiment_id)  # the newest

    app.selectbox(key="select_experiment").set_value(app_env.next_experiment_id).run()

    assert app.query_params["experiment"] == str(app_env.next_experiment_id)
    assert {m.label: m.value for m in app.metric}["Status"] == "running"
    captions = [c.value for c in app.caption]
    assert "No task is reporting progress." not in captions
    # A running experiment's page says how fresh each part of it is.
    assert "the status above refreshes every 5 s and what follows every 60 s." in " ".join(captions)


def test_a_result_written_by_a_worker_fills_in_on_the_next_refresh(
    private_app_env, app_dir: Path
) -> None:
    store = private_app_env
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(store.next_experiment_id)
    app.run()
    assert pd.isna(app.dataframe[1].value.loc[5, "lsat_en"])

    engine = make_engine(store.url)
    try:
        with session_scope(engine) as session:
            record_period_result(
                session,
                run_id=store.lsat_en_run_id,
                train_period=4,
                eval_period=5,
                auc=0.81,
                n=1000,
                positives=500,
            )
    finally:
        engine.dispose()
    service._experiment_marker.clear()  # as if its time to live had passed
    app.run()

    assert app.dataframe[1].value.loc[5, "lsat_en"] == pytest.approx(0.81)
    assert app.dataframe[0].value.set_index("name").loc["lsat_en", "updates"] == 4


def test_cancel_asks_first_then_stops_the_running_experiment(
    private_app_env, app_dir: Path
) -> None:
    store = private_app_env
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(store.next_experiment_id)
    app.run()

    app.button(key="cancel_experiment").click().run()
    (question,) = app.warning
    assert question.value.startswith(f"Cancel experiment #{store.next_experiment_id}?")
    app.button(key="cancel_abort").click().run()
    assert not app.warning and {m.label: m.value for m in app.metric}["Status"] == "running"

    app.button(key="cancel_experiment").click().run()
    app.button(key="cancel_confirm").click().run()

    assert [s.value for s in app.success] == [
        f"Experiment #{store.next_experiment_id} cancelled: 1 runs stopped, 0 queued tasks dropped."
    ]
    assert {m.label: m.value for m in app.metric}["Status"] == "cancelled"
    assert not [b.key for b in app.button if b.key.startswith("cancel")]  # nothing to cancel
    engine = make_engine(store.url)
    try:
        with session_scope(engine) as session:
            assert get_experiment(session, store.next_experiment_id).status == RunStatus.CANCELLED
            statuses = {r.strategy: r.status for r in list_runs(session, store.next_experiment_id)}
    finally:
        engine.dispose()
    assert statuses == {
        "full_retrain": RunStatus.SUCCEEDED,
        "lsat_en": RunStatus.CANCELLED,  # the one still running
        "fine_tune": RunStatus.FAILED,
    }


def test_a_finished_experiment_has_no_cancel_button(run_page, app_env) -> None:
    app = run_page("monitor.py", experiment=app_env.fixed_experiment_id)

    assert {m.label: m.value for m in app.metric}["Status"] == "succeeded"
    assert [b.key for b in app.button if b.key == "cancel_experiment"] == []


def test_a_just_queued_experiment_shows_as_not_started(private_app_env, app_dir: Path) -> None:
    """Launched from the dashboard, before a worker has built its stream and runs."""
    engine = make_engine(private_app_env.url)
    try:
        with session_scope(engine) as session:
            queued = create_experiment(session, name="queued", protocol="next-period", config={})
            queued_id = queued.id
    finally:
        engine.dispose()
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(queued_id)
    app.run()

    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Status"], metrics["Elapsed"]) == ("pending", "not started")
    assert app.dataframe[0].value.empty
    assert "No result yet." in [c.value for c in app.caption]
    assert app.button(key="cancel_experiment").label == "Cancel experiment"


STRATEGIES = ("full_retrain", "fine_tune", "lsat_en", "lsat_ta")


def _launched(store) -> int:
    """An experiment as its launch task leaves it: one pending run per strategy, none started."""
    engine = make_engine(store.url)
    try:
        with session_scope(engine) as session:
            experiment = create_experiment(
                session, name="launched", protocol="next-period", config={}
            )
            for strategy in STRATEGIES:
                get_or_create_run(
                    session,
                    key=f"launched-{strategy}",
                    experiment_id=experiment.id,
                    name=strategy,
                    strategy=strategy,
                    backbone="smollm2-135m",
                    protocol="next-period",
                    config={"strategy": strategy},
                    seed=0,
                    stream_id=store.stream_id,
                )
            return experiment.id
    finally:
        engine.dispose()


def _monitor(app_dir: Path, experiment_id: int) -> AppTest:
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(experiment_id)
    return app.run()


@pytest.mark.filterwarnings("error::DeprecationWarning")
def test_runs_not_started_yet_are_shown_without_a_warning(private_app_env, app_dir) -> None:
    """pandas 3 warned (Pandas4Warning) on every refresh while no run had started."""
    app = _monitor(app_dir, _launched(private_app_env))

    assert not app.exception
    runs = app.dataframe[0].value
    assert runs["status"].tolist() == ["pending"] * len(STRATEGIES)
    assert runs["duration"].tolist() == [format_seconds(None)] * len(STRATEGIES)


def test_a_cancelled_experiment_shows_one_notice_and_no_error(private_app_env, app_dir) -> None:
    experiment_id = _launched(private_app_env)
    app = _monitor(app_dir, experiment_id)
    app.button(key="cancel_experiment").click().run()
    app.button(key="cancel_confirm").click().run()

    assert [s.value for s in app.success] == [
        f"Experiment #{experiment_id} cancelled: 4 runs stopped, 0 queued tasks dropped."
    ]
    assert not app.error and not app.info and not app.warning

    later = _monitor(app_dir, experiment_id)  # another visit, in a new session
    assert [i.value for i in later.info] == [
        "Experiment cancelled: cancelled by the user; results stored before are kept."
    ]
    assert not later.error and not later.success
    assert later.dataframe[0].value["status"].tolist() == ["cancelled"] * len(STRATEGIES)


def test_the_picker_shows_each_experiments_date_and_the_chosen_ones_status(
    run_page, app_env
) -> None:
    app = run_page("monitor.py", experiment=app_env.next_experiment_id)

    today = f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%d}"  # the store was seeded by this session
    assert app.selectbox(key="select_experiment").options == [
        f"#{app_env.fixed_experiment_id} fixed · fixed-target · {today}",
        f"#{app_env.next_experiment_id} next · next-period · {today}",
    ]
    (badge,) = app.markdown
    assert badge.value.startswith(f":blue-badge[running · created {today} ")
