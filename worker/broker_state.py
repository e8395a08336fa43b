"""Which task ids the broker and the workers still hold: the broker's half of noticing lost work
(the store's half is `lsat_core.store.quiet_experiments`).

A task that exists anywhere is in one of three places: waiting in a queue, delivered but not
acknowledged (the tasks acknowledge late, so a task a worker runs, has prefetched or holds for a
retry countdown is there until it ends), or in a worker's memory (`inspect`: active, reserved,
scheduled). A task sends its successors (the chain's next step, its linked evaluations, its own
retry) before it is acknowledged, so work that goes on is never in none of them.

Redis keeps a queue as a list named after it (priority steps add suffixes) and unacknowledged
messages in the `unacked` hash; kombu's filesystem transport keeps one file per queued message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import redis
from celery import Celery

from worker.config import FILESYSTEM_SCHEME, filesystem_options
from worker.names import QUEUES

BROKER_QUERY_TIMEOUT_SECONDS = 1.0
REDIS_UNACKED_KEY = "unacked"
"""kombu's Redis transport default (`unacked_key`)."""
REDIS_PRIORITY_SEPARATOR = "\x06\x16"
"""kombu's Redis transport names a queue's priority lists `<queue><separator><priority>`."""


def live_task_ids(app: Celery, broker_url: str) -> frozenset[str]:
    """Every task id queued, unacknowledged or held by a live worker. Raises the broker's
    connection errors (`worker.transient.is_transient` says they are transient)."""
    return frozenset(_queued_ids(broker_url)) | frozenset(_held_by_workers(app))


def _held_by_workers(app: Celery) -> Iterator[str]:
    inspect = app.control.inspect(timeout=BROKER_QUERY_TIMEOUT_SECONDS)
    for replies in (inspect.active(), inspect.reserved(), inspect.scheduled()):
        for tasks in (replies or {}).values():
            for task in tasks:
                # scheduled() wraps each task as {"eta": ..., "request": {...}}
                yield str(task.get("request", task).get("id"))


def _queued_ids(broker_url: str) -> Iterator[str]:
    if broker_url.startswith(FILESYSTEM_SCHEME):
        folder = filesystem_options(Path(broker_url[len(FILESYSTEM_SCHEME) :]))["data_folder_in"]
        yield from _filesystem_ids(Path(folder))
    elif broker_url.startswith(("redis://", "rediss://")):
        yield from _redis_ids(redis.Redis.from_url(broker_url))


def _redis_ids(client: redis.Redis) -> Iterator[str]:
    try:
        for queue in QUEUES:
            keys = [queue, *client.scan_iter(match=f"{queue}{REDIS_PRIORITY_SEPARATOR}*")]
            for key in keys:
                yield from _message_ids(client.lrange(key, 0, -1))
        for entry in client.hvals(REDIS_UNACKED_KEY):
            payload = json.loads(entry)
            yield from _message_ids([json.dumps(payload[0])])
    finally:
        client.close()


def _filesystem_ids(folder: Path) -> Iterator[str]:
    for path in folder.glob("*.msg"):
        try:
            yield from _message_ids([path.read_bytes()])
        except FileNotFoundError:
            continue  # taken by a worker meanwhile: then the worker holds it


def _message_ids(messages: Iterable[bytes | str]) -> Iterator[str]:
    for message in messages:
        headers: dict[str, Any] = json.loads(message).get("headers") or {}
        if "id" in headers:
            yield str(headers["id"])
