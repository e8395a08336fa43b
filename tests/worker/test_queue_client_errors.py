"""The queue client judges a failed send as the tasks judge a failed retry (worker.transient):
a broker that is unreachable in any of its forms fails the submission with one line, anything
else is a bug and is raised as it is."""

from __future__ import annotations

from typing import Any

import pytest
import redis.exceptions

from lsat_core.errors import LsatError
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.events import record_event
from lsat_core.store.models import Experiment, RunStatus
from worker.queue_client import cancel_experiment, submit_experiment

CONFIG = {"strategies": ["full_retrain"], "protocol": "next-period", "seed": 0}


class FailingApp:
    """A Celery app whose every call to the broker raises `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.control = self

    def send_task(self, *args: Any, **kwargs: Any) -> None:
        raise self.error

    def revoke(self, *args: Any, **kwargs: Any) -> None:
        raise self.error


def test_a_redis_connection_error_fails_the_submission_with_one_line(
    settings: Settings, engine
) -> None:
    down = FailingApp(redis.exceptions.ConnectionError("Connection refused"))
    with pytest.raises(LsatError, match="could not reach the broker: Connection refused"):
        submit_experiment(settings, CONFIG, "broker down", app=down)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        [experiment] = session.query(Experiment).all()
    assert experiment.status == RunStatus.FAILED
    assert experiment.error == "could not reach the broker: Connection refused"


def test_a_bug_in_sending_is_raised_as_it_is(settings: Settings, engine) -> None:
    buggy = FailingApp(TypeError("send_task() got an unexpected keyword"))
    with pytest.raises(TypeError, match="unexpected keyword"):
        submit_experiment(settings, CONFIG, "bug", app=buggy)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cancel_experiment(settings, 1, app=buggy)  # type: ignore[arg-type]


def test_cancel_with_the_broker_down_still_stops_the_runs_in_the_store(
    settings: Settings, engine, add_experiment
) -> None:
    experiment_id, runs = add_experiment("full_retrain")
    with session_scope(engine) as session:
        record_event(session, "queued", experiment_id=experiment_id, task_key="e1-train")
    down = FailingApp(redis.exceptions.TimeoutError("Timeout reading from socket"))
    outcome = cancel_experiment(settings, experiment_id, app=down)  # type: ignore[arg-type]
    assert (outcome.runs, outcome.revoked) == (sorted(runs.values()), None)
