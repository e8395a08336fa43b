"""The workers' Celery app: `celery -A worker.app worker -Q cpu` (or `lsat worker`).

Configured lazily from `Settings.from_env()` on first use, so importing this module reads no
environment. One extra command-line option, `--redelivery-after SECONDS`, sets how long Redis
keeps a dead worker's unacknowledged task before delivering it again (worker.config).
"""

from __future__ import annotations

from typing import Any

import click
from celery import Celery, Task, signals

from lsat_core.errors import InputError
from lsat_core.settings import Settings
from lsat_core.store.migrate import upgrade
from worker.config import NoResultBackend, broker_transport, celery_config


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


@signals.user_preload_options.connect
def _apply_redelivery(options: dict[str, Any], **_: Any) -> None:
    seconds = options.get("redelivery_after")
    if seconds:
        transport_options = broker_transport(Settings.from_env().broker_url, seconds)[1]
        app.conf.broker_transport_options = transport_options


@signals.worker_init.connect
def _migrate_store(**_: Any) -> None:
    """A worker may be the first process to touch a new store (upgrade is idempotent and
    serialised between processes)."""
    upgrade(Settings.from_env().database_url)
