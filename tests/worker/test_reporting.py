"""Task progress is written at a bounded rate with an ETA, and cancelling the runs stops it."""

from __future__ import annotations

import pytest

from lsat_core.store.engine import session_scope
from lsat_core.store.lifecycle import set_run_status
from lsat_core.store.models import RunStatus
from lsat_core.store.queries import latest_events, list_progress
from worker.reporting import TaskCancelled, TaskReporter


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _progress(engine, experiment_id):
    with session_scope(engine) as session:
        return [
            (p.task_key, p.step, p.total, p.eta_seconds, p.message)
            for p in list_progress(session, experiment_id=experiment_id)
        ]


def test_progress_is_throttled_and_carries_an_eta(engine, add_experiment):
    experiment_id, runs = add_experiment("full_retrain")
    clock = FakeClock()
    reporter = TaskReporter(
        engine, "e1-train", experiment_id, run_ids=tuple(runs.values()), interval=2.0, clock=clock
    )
    reporter("train lora:full@2", 0, 10)  # the first report is always written
    assert _progress(engine, experiment_id) == [("e1-train", 0, 10, None, "train lora:full@2")]
    clock.now += 1.0
    reporter("train lora:full@2", 1, 10)  # within the interval: skipped
    assert _progress(engine, experiment_id)[0][1] == 0
    clock.now += 1.5
    reporter("train lora:full@2", 5, 10)  # 2.5 s for 5 steps: 2.5 s left
    assert _progress(engine, experiment_id) == [("e1-train", 5, 10, 2.5, "train lora:full@2")]
    clock.now += 0.1
    reporter("train lora:full@2", 10, 10)  # the last step is always written
    assert _progress(engine, experiment_id)[0][1:4] == (10, 10, 0.0)


def test_cancelled_runs_stop_the_task_at_its_next_report(engine, add_experiment):
    experiment_id, runs = add_experiment("full_retrain", "lsat_en")
    clock = FakeClock()
    reporter = TaskReporter(
        engine, "e1-train", experiment_id, run_ids=tuple(runs.values()), interval=2.0, clock=clock
    )
    reporter("train", 1, 10)
    with session_scope(engine) as session:
        set_run_status(session, runs["full_retrain"], RunStatus.CANCELLED)
    clock.now += 3
    reporter("train", 2, 10)  # one run still wants the model
    assert reporter.still_wanted()
    with session_scope(engine) as session:
        set_run_status(session, runs["lsat_en"], RunStatus.CANCELLED)
    clock.now += 1
    reporter("train", 3, 10)  # not due yet: no check
    clock.now += 1
    with pytest.raises(TaskCancelled):
        reporter("train", 4, 10)
    with pytest.raises(TaskCancelled):
        reporter.check_wanted()


def test_events_name_the_task_and_the_run(engine, add_experiment):
    experiment_id, runs = add_experiment("full_retrain")
    run_id = runs["full_retrain"]
    TaskReporter(engine, "e1-eval", experiment_id, run_ids=(run_id,), run_id=run_id).event("hello")
    with session_scope(engine) as session:
        [event] = latest_events(session, run_id=run_id)
    assert (event.message, event.task_key, event.experiment_id) == (
        "hello",
        "e1-eval",
        experiment_id,
    )


def test_the_eta_is_unknown_until_a_step_is_timed_never_zero_half_way(engine, add_experiment):
    experiment_id, runs = add_experiment("full_retrain")
    clock = FakeClock()
    reporter = TaskReporter(
        engine, "e1-train", experiment_id, run_ids=tuple(runs.values()), interval=2.0, clock=clock
    )
    # A training reports after its first optimizer step: that step was not timed.
    reporter("train lora:full@2", 1, 2)
    assert _progress(engine, experiment_id)[0][1:4] == (1, 2, None)
    clock.now += 40.0
    reporter("train lora:full@2", 2, 2)
    assert _progress(engine, experiment_id)[0][1:4] == (2, 2, 0.0)
    # A second stage of the same task is timed from its own first report.
    clock.now += 5.0
    reporter("score", 10, 40)
    clock.now += 3.0
    reporter("score", 20, 40)
    assert _progress(engine, experiment_id)[0][1:4] == (20, 40, pytest.approx(6.0))
