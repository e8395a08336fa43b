"""The life cycle's operations: a run finishes once all its updates are recorded, a failure
fails only the runs concerned, the last run settles the experiment, cancelling stops the rest;
a run in one process starts and finishes its runs together, not redoing succeeded ones."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import stored_runs
from sqlalchemy import Engine

from lsat_core.store.engine import session_scope
from lsat_core.store.events import record_event
from lsat_core.store.lifecycle import (
    CANCELLED_BY_USER,
    cancel_experiment_runs,
    experiment_task_ids,
    fail_experiment,
    fail_runs,
    finish_run_if_complete,
    finish_runs,
    set_experiment_status,
    set_run_status,
    start_runs,
)
from lsat_core.store.models import Experiment, Run, RunStatus, Segment
from lsat_core.store.results import record_period_result


@pytest.fixture(name="add_experiment")
def add_experiment_fixture(engine: Engine) -> Callable[..., tuple[int, dict[str, int]]]:
    """A stored experiment with one pending run per strategy (configs are placeholders)."""
    return lambda *strategies: stored_runs.add_experiment(engine, strategies)


def _start(engine, experiment_id, run_ids):
    with session_scope(engine) as session:
        set_experiment_status(session, experiment_id, RunStatus.RUNNING)
        for run_id in run_ids:
            set_run_status(session, run_id, RunStatus.RUNNING)


def _record(engine, run_id, train_period, segment=Segment.ALL):
    with session_scope(engine) as session:
        record_period_result(
            session,
            run_id=run_id,
            train_period=train_period,
            eval_period=train_period + 1,
            auc=0.6,
            n=10,
            positives=5,
            segment=segment,
        )


def _statuses(engine, experiment_id, run_ids):
    with session_scope(engine) as session:
        experiment = session.get_one(Experiment, experiment_id)
        runs = {run_id: session.get_one(Run, run_id) for run_id in run_ids}
        return (
            (experiment.status, experiment.error),
            {run_id: (run.status, run.error, run.device) for run_id, run in runs.items()},
        )


def test_a_run_succeeds_when_its_last_update_is_recorded_and_the_last_run_settles(
    engine, add_experiment
):
    experiment_id, runs = add_experiment("full_retrain", "lsat_en")
    a, b = runs["full_retrain"], runs["lsat_en"]
    _start(engine, experiment_id, [a, b])
    _record(engine, a, 2)
    _record(engine, a, 3, segment=Segment.WARM)  # a warm row alone is not the update's result
    with session_scope(engine) as session:
        assert not finish_run_if_complete(session, experiment_id, a, [2, 3], device="cpu")
    _record(engine, a, 3)
    with session_scope(engine) as session:
        assert finish_run_if_complete(session, experiment_id, a, [2, 3], device="cpu")
        # A second evaluation finishing the same run (a redelivered task) changes nothing.
        assert not finish_run_if_complete(session, experiment_id, a, [2, 3], device="cpu")
    experiment, statuses = _statuses(engine, experiment_id, [a, b])
    assert experiment == (RunStatus.RUNNING, None)
    assert statuses[a] == (RunStatus.SUCCEEDED, None, "cpu")

    _record(engine, b, 2)
    _record(engine, b, 3)
    with session_scope(engine) as session:
        assert finish_run_if_complete(session, experiment_id, b, [2, 3])
    assert _statuses(engine, experiment_id, [a, b])[0] == (RunStatus.SUCCEEDED, None)


def test_a_failure_fails_its_runs_only_and_the_experiment_once_the_others_end(
    engine, add_experiment
):
    experiment_id, runs = add_experiment("fine_tune", "lsat_en")
    a, b = runs["fine_tune"], runs["lsat_en"]
    _start(engine, experiment_id, [a, b])
    with session_scope(engine) as session:
        assert fail_runs(session, experiment_id, [a], "training lora:fine_tune@1 failed: boom") == [
            a
        ]
        assert fail_runs(session, experiment_id, [a], "again") == []  # already failed
    experiment, statuses = _statuses(engine, experiment_id, [a, b])
    assert experiment == (RunStatus.RUNNING, None)  # lsat_en goes on
    assert statuses[a][:2] == (RunStatus.FAILED, "training lora:fine_tune@1 failed: boom")

    _record(engine, b, 2)
    with session_scope(engine) as session:
        finish_run_if_complete(session, experiment_id, b, [2])
    experiment, statuses = _statuses(engine, experiment_id, [a, b])
    assert statuses[b][0] == RunStatus.SUCCEEDED
    assert experiment[0] == RunStatus.FAILED and "boom" in experiment[1]


def test_cancel_stops_active_runs_and_keeps_finished_ones(engine, add_experiment):
    experiment_id, runs = add_experiment("full_retrain", "fine_tune", "lsat_ta")
    done, running, pending = runs["full_retrain"], runs["fine_tune"], runs["lsat_ta"]
    _start(engine, experiment_id, [done, running])
    _record(engine, done, 2)
    with session_scope(engine) as session:
        finish_run_if_complete(session, experiment_id, done, [2])
        assert cancel_experiment_runs(session, experiment_id) == sorted([running, pending])
        assert cancel_experiment_runs(session, experiment_id) == []
    experiment, statuses = _statuses(engine, experiment_id, runs.values())
    assert experiment == (RunStatus.CANCELLED, CANCELLED_BY_USER)
    assert statuses[done][0] == RunStatus.SUCCEEDED
    assert (
        statuses[running][:2] == statuses[pending][:2] == (RunStatus.CANCELLED, CANCELLED_BY_USER)
    )
    # An evaluation that was in flight cannot turn a cancelled run into a succeeded one.
    _record(engine, running, 2)
    with session_scope(engine) as session:
        assert not finish_run_if_complete(session, experiment_id, running, [2])


def test_a_failed_launch_fails_an_experiment_without_runs(engine, add_experiment):
    experiment_id, _ = add_experiment()
    with session_scope(engine) as session:
        fail_experiment(session, experiment_id, "launch failed: no such dataset")
    experiment, _ = _statuses(engine, experiment_id, [])
    assert experiment == (RunStatus.FAILED, "launch failed: no such dataset")


def test_task_ids_come_from_the_experiment_events(engine, add_experiment):
    experiment_id, _ = add_experiment("full_retrain")
    other_id, _ = add_experiment("full_retrain")
    with session_scope(engine) as session:
        for key in ("e1-launch", "e1-train-lora-full-2", "e1-train-lora-full-2", None):
            record_event(session, "queued", experiment_id=experiment_id, task_key=key)
        record_event(session, "queued", experiment_id=other_id, task_key="e2-launch")
    with session_scope(engine) as session:
        assert experiment_task_ids(session, experiment_id) == ["e1-launch", "e1-train-lora-full-2"]


def test_starting_skips_succeeded_runs_and_relaunches_failed_ones(engine, add_experiment):
    experiment_id, runs = add_experiment("full_retrain", "fine_tune", "lsat_en")
    done, failed, new = runs["full_retrain"], runs["fine_tune"], runs["lsat_en"]
    _start(engine, experiment_id, [done, failed])
    with session_scope(engine) as session:
        set_run_status(session, done, RunStatus.SUCCEEDED)
        set_run_status(session, failed, RunStatus.FAILED, error="boom")
        assert start_runs(session, experiment_id, runs) == {"fine_tune": failed, "lsat_en": new}
    experiment, statuses = _statuses(engine, experiment_id, runs.values())
    assert experiment == (RunStatus.RUNNING, None)
    assert statuses[done][0] == RunStatus.SUCCEEDED
    assert statuses[failed][:2] == statuses[new][:2] == (RunStatus.RUNNING, None)

    with session_scope(engine) as session:
        finish_runs(session, experiment_id, [failed, new], error="RuntimeError: out of memory")
    experiment, statuses = _statuses(engine, experiment_id, runs.values())
    assert experiment == (RunStatus.FAILED, "RuntimeError: out of memory")
    assert statuses[new][:2] == (RunStatus.FAILED, "RuntimeError: out of memory")
    assert statuses[done][0] == RunStatus.SUCCEEDED
