"""Lost queued work is resumed from the store, and work still queued or running is left alone
(worker.resume), on the filesystem broker of a fresh data folder: no services needed.
The same against a real Redis restarted without its data, mid-comparison, is tests/faults."""

from __future__ import annotations

from datetime import timedelta

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app as main_app
from cli.resume_command import resume
from lsat_core.settings import Settings
from lsat_core.store.engine import session_scope
from lsat_core.store.lifecycle import cancel_experiment_runs, start_runs
from lsat_core.store.models import Event, EventKind
from lsat_core.store.quiet_experiments import quiet_experiments
from worker import broker_state
from worker import resume as worker_resume
from worker.broker_state import live_task_ids
from worker.config import RESUME_AFTER_SETTING
from worker.names import launch_task_id
from worker.queue_client import client_app
from worker.resume import ResumeWatchdog, experiment_task_prefix, resume_lost_work

NOW = timedelta(0)


@pytest.fixture(autouse=True)
def quick_inspect(monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker answers here: wait for their replies briefly."""
    monkeypatch.setattr(broker_state, "BROKER_QUERY_TIMEOUT_SECONDS", 0.2)


@pytest.fixture
def running(engine, add_experiment) -> int:
    """A running experiment whose queued tasks are gone (none was ever sent here)."""
    experiment_id, runs = add_experiment("full_retrain", "lsat_en")
    with session_scope(engine) as session:
        start_runs(session, experiment_id, runs)
    return experiment_id


def resume_events(engine, experiment_id: int) -> list[Event]:
    with session_scope(engine) as session:
        statement = select(Event).where(
            Event.experiment_id == experiment_id, Event.message.startswith("resumed:")
        )
        return list(session.scalars(statement))


def test_lost_work_is_resumed_once_by_sending_the_launch_again(
    settings: Settings, engine, running: int
) -> None:
    app = client_app(settings)
    [outcome] = resume_lost_work(settings, app, quiet_for=NOW, confirm_seconds=0)
    assert (outcome.experiment_id, outcome.resumed) == (running, True)
    assert live_task_ids(app, settings.broker_url) == {launch_task_id(running)}
    [event] = resume_events(engine, running)
    assert event.kind == EventKind.WARNING and event.task_key == launch_task_id(running)

    # The launch now waits in the queue: a second resumer leaves the experiment as it is.
    [again] = resume_lost_work(settings, app, quiet_for=NOW, confirm_seconds=0)
    assert (again.resumed, again.reason) == (False, "1 of its tasks are queued or running")
    assert len(resume_events(engine, running)) == 1


def test_an_experiment_active_in_the_store_lately_is_not_looked_at(
    settings: Settings, engine, running: int
) -> None:
    app = client_app(settings)
    assert resume_lost_work(settings, app, quiet_for=timedelta(minutes=5)) == []
    assert resume_events(engine, running) == []


def test_a_worker_watchdog_resumes_on_its_first_check(
    settings: Settings, engine, running: int
) -> None:
    watchdog = ResumeWatchdog(settings, quiet_for=NOW)
    [outcome] = watchdog.check()
    assert outcome.resumed
    assert watchdog.interval == 0


def test_the_prefix_of_an_experiment_s_task_ids_is_its_own() -> None:
    """worker.canvas names every task of experiment N `eN-...`, as the launch."""
    prefix = experiment_task_prefix(12)
    assert launch_task_id(12).startswith(prefix)
    assert not launch_task_id(120).startswith(prefix)


def test_lsat_resume_says_why_a_finished_experiment_is_not_resumed(
    settings: Settings, engine, add_experiment, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment_id, _ = add_experiment("full_retrain")
    with session_scope(engine) as session:
        cancel_experiment_runs(session, experiment_id)
    monkeypatch.setenv("LSAT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LSAT_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LSAT_BROKER_URL", settings.broker_url)
    assert resume in [command.callback for command in main_app.registered_commands]
    alone = typer.Typer()
    alone.command("resume")(resume)
    alone.command("other")(lambda: None)  # with two commands, `resume` is a subcommand
    result = CliRunner().invoke(alone, ["resume", str(experiment_id)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"experiment {experiment_id}: not resumed: it is cancelled: nothing to resume"
    )


def test_a_worker_started_with_resume_after_checks_that_often(monkeypatch) -> None:
    from cli.worker_commands import worker_argv
    from worker import app as worker_app

    argv = worker_argv(("cpu",), resume_after=15)
    assert argv[-2:] == ["--resume-after", "15"]
    monkeypatch.setitem(worker_app.app.conf, RESUME_AFTER_SETTING, None)
    worker_app._apply_redelivery({"redelivery_after": None, "resume_after": 15})
    assert worker_app.app.conf[RESUME_AFTER_SETTING] == 15
    started: list[ResumeWatchdog] = []
    monkeypatch.setattr(ResumeWatchdog, "start", lambda self: started.append(self))
    monkeypatch.setattr(worker_app, "_watchdogs", [])
    worker_app._start_resume_watchdog()
    assert [w.quiet_for for w in started] == [timedelta(seconds=15)]
    assert started[0].interval == 7.5
    worker_app.app.conf[RESUME_AFTER_SETTING] = 0
    worker_app._start_resume_watchdog()
    assert len(started) == 1  # 0: never


def test_a_resumer_that_found_it_quiet_before_another_resumed_it_sends_nothing(
    settings: Settings, engine, running: int
) -> None:
    """Two resumers read the store before either takes the lock: the second finds the first's
    event and leaves the experiment alone, even with quiet_for 0 (`lsat resume`)."""
    app = client_app(settings)
    with session_scope(engine) as session:
        [found] = quiet_experiments(session, NOW)
    [first] = resume_lost_work(settings, app, quiet_for=NOW, confirm_seconds=0)
    assert first.resumed
    late = worker_resume._resume_unless_held(engine, app, found, frozenset(), NOW)
    assert (late.resumed, late.reason) == (False, "it became active meanwhile")
    assert len(resume_events(engine, running)) == 1
