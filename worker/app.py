"""The workers' Celery app: `celery -A worker.app worker -Q cpu` (or `lsat worker`).

Configured lazily from `Settings.from_env()` on first use, so importing this module reads no
environment. Two extra command-line options: `--redelivery-after SECONDS` sets how long Redis
keeps a dead worker's unacknowledged task before delivering it again (worker.config), and
`--resume-after SECONDS` how long an experiment whose queued work vanished waits before the
worker resumes it (worker.resume; 0: never).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click
from celery import Celery, Task, signals

from lsat_core.errors import InputError
from lsat_core.settings import Settings
from lsat_core.store.migrate import upgrade
from worker.config import (
    DEFAULT_RESUME_AFTER_SECONDS,
    RESUME_AFTER_SETTING,
    NoResultBackend,
    broker_transport,
    celery_config,
)
from worker.resume import ResumeWatchdog


class LsatTask(Task):
    # A user's bad input (ConfigError is one) is recorded on the runs by the task and logged by
    # Celery as one INFO line, "raised expected: ...", instead of an error with a traceback.
    throws = (InputError,)


app = Celery(
    "lsat_studio",
    include=["worker.tasks"],
    backend=f"{NoResultBackend.__module__}:{NoResultBackend.__qualname__}",
    task_cls=LsatTask,
)
app.add_defaults(lambda: celery_config(Settings.from_env()))
app.user_options["preload"].add(
    click.Option(
        ["--redelivery-after"],
        type=click.IntRange(min=1),
        default=None,
        help="Redis: deliver a task again this many seconds after its worker vanished.",
    )
)
app.user_options["preload"].add(
    click.Option(
        ["--resume-after"],
        type=click.IntRange(min=0),
        default=None,
        help="Resume an experiment whose queued work vanished after this many quiet seconds "
        "(0: never).",
    )
)


@signals.user_preload_options.connect
def _apply_redelivery(options: dict[str, Any], **_: Any) -> None:
    seconds = options.get("redelivery_after")
    if seconds:
        transport_options = broker_transport(Settings.from_env().broker_url, seconds)[1]
        app.conf.broker_transport_options = transport_options
    if options.get("resume_after") is not None:
        app.conf[RESUME_AFTER_SETTING] = options["resume_after"]


@signals.worker_init.connect
def _migrate_store(**_: Any) -> None:
    """A worker may be the first process to touch a new store (upgrade is idempotent and
    serialised between processes)."""
    upgrade(Settings.from_env().database_url)


_watchdogs: list[ResumeWatchdog] = []


@signals.worker_ready.connect
def _start_resume_watchdog(**_: Any) -> None:
    """Lost broker state is noticed by the workers themselves (issue 12, item 8): each checks
    when it starts and then periodically, in its main process."""
    seconds = app.conf.get(RESUME_AFTER_SETTING, DEFAULT_RESUME_AFTER_SECONDS)
    if seconds:
        watchdog = ResumeWatchdog(Settings.from_env(), timedelta(seconds=seconds))
        watchdog.start()
        _watchdogs.append(watchdog)


@signals.worker_shutdown.connect
def _stop_resume_watchdog(**_: Any) -> None:
    for watchdog in _watchdogs:
        watchdog.stopped.set()
