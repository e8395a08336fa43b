"""Submitting and cancelling from outside the workers: store first, then the broker; no torch."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from types import SimpleNamespace

import pytest
from celery.worker import control
from celery.worker import state as worker_state

from lsat_core.errors import InputError, LsatError
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.lifecycle import set_experiment_status
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Experiment, RunStatus
from lsat_core.store.queries import latest_events
from worker.app import app
from worker.names import LAUNCH_EXPERIMENT
from worker.queue_client import cancel_experiment, submit_experiment

CONFIG = {"strategies": ["full_retrain", "lsat_en"], "protocol": "next-period", "seed": 0}


def test_the_queue_client_imports_neither_torch_nor_the_engine() -> None:
    code = (
        "import sys, worker.queue_client, worker.names;"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')"
        " or m.startswith('lsat_core.engine'));"
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_submit_stores_the_experiment_then_queues_its_launch(settings: Settings, engine) -> None:
    experiment_id = submit_experiment(settings, CONFIG, "two strategies")
    with session_scope(engine) as session:
        experiment = session.get_one(Experiment, experiment_id)
        assert (experiment.status, experiment.config) == (RunStatus.PENDING, CONFIG)
        [event] = latest_events(session, experiment_id=experiment_id)
    assert event.task_key == f"e{experiment_id}-launch"
    [message] = (settings.data_dir / "broker" / "queue").iterdir()
    payload = json.loads(message.read_text())
    assert payload["headers"]["task"] == LAUNCH_EXPERIMENT
    assert payload["headers"]["id"] == f"e{experiment_id}-launch"
    assert payload["properties"]["delivery_info"]["routing_key"] == "cpu"
    assert json.loads(base64.b64decode(payload["body"]))[0] == [experiment_id]


def test_submit_refuses_what_is_not_an_experiment_config(settings: Settings) -> None:
    with pytest.raises(InputError, match="not an experiment config"):
        submit_experiment(settings, {"strategies": ["full_retrain"]}, "no protocol")


def test_an_unreachable_broker_fails_the_submitted_experiment(tmp_path, engine) -> None:
    settings = Settings.for_data_dir(tmp_path / "other", broker_url="redis://127.0.0.1:9/0")
    upgrade(settings.database_url)
    with pytest.raises(LsatError, match="could not reach the broker"):
        submit_experiment(settings, CONFIG, "nowhere")


def test_cancel_marks_the_store_and_revokes_the_logged_task_ids(
    settings: Settings, engine, add_experiment
) -> None:
    experiment_id, runs = add_experiment("full_retrain", "lsat_en")
    with session_scope(engine) as session:
        set_experiment_status(session, experiment_id, RunStatus.RUNNING)
    submitted = submit_experiment(settings, CONFIG, "queued only")
    outcome = cancel_experiment(settings, experiment_id)
    assert outcome.runs == sorted(runs.values()) and outcome.revoked == 0
    queued = cancel_experiment(settings, submitted)
    assert queued.runs == [] and queued.revoked == 1  # its launch task
    with session_scope(engine) as session:
        statuses = {
            session.get_one(Experiment, experiment_id).status,
            session.get_one(Experiment, submitted).status,
        }
    assert statuses == {RunStatus.CANCELLED}


def test_a_worker_revokes_cancelled_tasks_without_a_warning_each(
    tmp_path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Celery 5.7's revoke asks the result backend for each task's state; with none it logged
    "No result backend is configured" once per task (14 on one cancel)."""
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))  # in case this configures the app first
    task_ids = ["launch-1", "model-1", "model-2"]
    with caplog.at_level(logging.WARNING, logger="celery.worker.control"):
        reply = control.revoke(SimpleNamespace(app=app), task_ids)  # as a worker receives it
    for task_id in task_ids:
        worker_state.revoked.discard(task_id)

    assert caplog.records == []
    assert "launch-1" in reply["ok"]
    assert app.backend.get_state("launch-1") == "PENDING"  # unknown: no results are kept
