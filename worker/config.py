"""The Celery configuration, built from `Settings` (the one place that reads the environment).

The same task code runs on two brokers:
- Redis (production, `LSAT_BROKER_URL=redis://...`);
- kombu's filesystem transport in the data folder (the default, `filesystem://<data_dir>/broker`),
  so a laptop runs the whole thing with no services, through our copy of it that writes each
  message whole (worker.filesystem_transport, alias `lsatfs`). Kombu wants a URL without the
  folder (`lsatfs://localhost/`) and the folders in transport options; we keep messages in
  `<folder>/queue` (producers and consumers share it: in = out) and the exchange tables for
  broadcasts in `<folder>/control`.

Reliability follows Celery's guide for long tasks: acknowledge late and requeue when the worker
process is lost, prefetch one task at a time, JSON only, no result backend (results are written
to the run store by the tasks themselves).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import states
from celery.backends.base import DisabledBackend
from kombu import Queue

from lsat_core.errors import ConfigError
from lsat_core.settings import Settings
from worker.filesystem_transport import ALIAS as FILESYSTEM_TRANSPORT
from worker.names import CPU_QUEUE, QUEUES

FILESYSTEM_SCHEME = "filesystem://"
FILESYSTEM_POLLING_SECONDS = 0.1

DEFAULT_REDELIVERY_SECONDS = 6 * 3600
"""Redis: a task whose worker vanished without acknowledging it is delivered again after this
long (kombu's `visibility_timeout`). It must exceed the longest task, or a task still running is
delivered a second time; 6 hours matches the workbench's stale-claim period (STALE_CLAIM)."""


DEFAULT_RESUME_AFTER_SECONDS = 300
"""A worker resumes an experiment with work left that nothing worked on for this long and of
which no task is queued or running (worker.resume); `lsat worker --resume-after`, 0: never."""
RESUME_AFTER_SETTING = "lsat_resume_after"
"""Where the worker's app keeps `--resume-after` (seconds) in its configuration."""


UNACKED_MUTEX_SECONDS = 30
"""Redis: how long the sweep for abandoned messages may hold its lock (kombu's default: 300)."""


def broker_transport(broker_url: str, redelivery_seconds: int) -> tuple[str, dict[str, Any]]:
    """(the URL kombu takes, its transport options) for one of our broker URLs."""
    if broker_url.startswith(FILESYSTEM_SCHEME):
        folder = Path(broker_url[len(FILESYSTEM_SCHEME) :])
        # The transport ignores the host, but kombu warns when there is none.
        return f"{FILESYSTEM_TRANSPORT}://localhost/", filesystem_options(folder)
    if broker_url.startswith(("redis://", "rediss://")):
        return broker_url, {
            "visibility_timeout": redelivery_seconds,
            # Sweep for abandoned messages every few seconds with one Redis query (kombu's
            # default scans only every 10th sweep of 10 s).
            "unacked_restore_interval": min(10, max(1, redelivery_seconds // 4)),
            "unacked_restore_throttle": 1,
            # The sweep holds a mutex key in Redis for milliseconds, but a broker crash can
            # persist it (append-only file) with kombu's 300 s expiry: every redelivery would
            # then wait up to 5 minutes after the restart (tests/faults).
            "unacked_mutex_expire": UNACKED_MUTEX_SECONDS,
        }
    return broker_url, {}


def filesystem_options(folder: Path) -> dict[str, Any]:
    """Transport options of the filesystem broker in `folder` (created if missing)."""
    if not str(folder) or not folder.is_absolute():
        raise ConfigError(
            f"the filesystem broker needs an absolute folder, e.g. filesystem:///data/broker; "
            f"got {FILESYSTEM_SCHEME}{folder}",
            where="LSAT_BROKER_URL",
        )
    queue, control = folder / "queue", folder / "control"
    queue.mkdir(parents=True, exist_ok=True)
    control.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "control_folder": str(control),
        # An idle worker lists the folder this often (kombu's default, 1 s, adds up to a second
        # before each task starts; a listing of a small folder costs microseconds).
        "polling_interval": FILESYSTEM_POLLING_SECONDS,
    }


class NoResultBackend(DisabledBackend):
    """The workers' "no result backend" (worker.app): Celery's disabled one, that can say a
    task's state: unknown (PENDING, Celery's word for it). Celery 5.7's revoke asks the backend
    for the state of each task it revokes, and the disabled one logged a warning per task on
    every cancel."""

    def get_state(self, task_id: str) -> str:
        return states.PENDING


def celery_config(
    settings: Settings, *, redelivery_seconds: int = DEFAULT_REDELIVERY_SECONDS
) -> dict[str, Any]:
    url, transport_options = broker_transport(settings.broker_url, redelivery_seconds)
    return {
        "broker_url": url,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # A task whose broker connection dropped cannot acknowledge any more; it will be
        # delivered again, so stop it rather than let two copies run (Celery 5.x advice).
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_queues": [Queue(name, routing_key=name) for name in QUEUES],
        "task_default_queue": CPU_QUEUE,
        "enable_utc": True,
        "timezone": "UTC",
    }
