"""The embedded broker's messages appear whole (worker.filesystem_transport): a consumer that
looks at the queue while a producer is writing finds nothing yet, never an empty message."""

from __future__ import annotations

from pathlib import Path
from queue import Empty
from typing import Any

import pytest
from kombu import Connection

import worker.filesystem_transport as transport
from worker.config import filesystem_options


def _channel(folder: Path) -> Any:
    connection = Connection("lsatfs://localhost/", transport_options=filesystem_options(folder))
    return connection.channel()


def test_a_consumer_never_takes_a_message_being_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    producer, consumer = _channel(tmp_path / "broker"), _channel(tmp_path / "broker")
    assert isinstance(producer, transport.Channel)
    seen_mid_write = []
    serialize = transport.dumps

    def dumps_while_a_consumer_looks(payload: Any) -> str:
        # Upstream kombu has already created the message's file under its final name here.
        try:
            seen_mid_write.append(consumer._get("cpu"))
        except Empty:
            seen_mid_write.append(None)
        return serialize(payload)

    monkeypatch.setattr(transport, "dumps", dumps_while_a_consumer_looks)
    producer._put("cpu", {"body": "task", "headers": {"id": "t1"}})
    assert seen_mid_write == [None]
    assert consumer._get("cpu") == {"body": "task", "headers": {"id": "t1"}}
    with pytest.raises(Empty):
        consumer._get("cpu")
    assert not list((tmp_path / "broker" / "queue").iterdir())  # no partial file left behind


def test_each_queue_gets_its_own_messages(tmp_path: Path) -> None:
    # Order is by the millisecond a message was put, as upstream's; within one it is arbitrary.
    channel = _channel(tmp_path / "broker")
    for index in range(3):
        channel._put("cpu", {"n": index})
    channel._put("gpu", {"n": "g"})
    assert sorted(channel._get("cpu")["n"] for _ in range(3)) == [0, 1, 2]
    assert channel._get("gpu") == {"n": "g"}


def test_a_reader_never_finds_an_exchange_table_being_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binder, reader = _channel(tmp_path / "broker"), _channel(tmp_path / "broker")
    seen_mid_write = []
    serialize = transport.dumps

    def dumps_while_a_reader_looks(payload: Any) -> str:
        seen_mid_write.append(reader.get_table("celery.pidbox"))
        return serialize(payload)

    monkeypatch.setattr(transport, "dumps", dumps_while_a_reader_looks)
    binder._queue_bind("celery.pidbox", "", "", "worker-a.pidbox")
    assert seen_mid_write == [[]]
    monkeypatch.setattr(transport, "dumps", serialize)
    binder._queue_bind("celery.pidbox", "", "", "worker-b.pidbox")  # the existing table's path
    assert {q.queue for q in reader.get_table("celery.pidbox")} == {
        "worker-a.pidbox",
        "worker-b.pidbox",
    }
    control = tmp_path / "broker" / "control"
    assert [p.name for p in control.iterdir()] == ["celery.pidbox.exchange"]
