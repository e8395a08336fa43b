"""Kombu's filesystem transport with messages that appear whole.

Kombu 5.7's filesystem channel creates a message's file under its final name, then locks it
and writes it; a consumer moves the file away and reads it without taking the lock. A consumer
that lists the folder between the open and the write reads an empty message, and the worker
stops with "Unrecoverable error: JSONDecodeError" (seen under `lsat up`; celery/kombu#1551
reports the symptom). Here a message is written under a name no consumer looks at and renamed
into place, which is atomic on one filesystem, so a listed message is always complete. Our own
listing of queued ids (worker.broker_state) relies on the same. An exchange's table of bound
queues (broadcasts: cancel, inspect and their replies) had the same window when a bind created
it: created empty, then locked and written, while a reader could lock it first and read "".

Registered as the `lsatfs` transport alias when this module is imported (worker.config does),
because a URL's scheme cannot name a transport class by its import path.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

ALIAS = "lsatfs"


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        """Put `payload` onto `queue`: written under a partial name, then renamed whole to the
        name kombu's consumers list (`<ms>_<uuid>.<queue>.msg`, the order they take)."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        """Bind `queue` to `exchange`: a new table is linked into place whole (the link fails
        if another bind created it meanwhile); an existing one is updated under its lock as
        upstream does."""
        table = self._exchange_file(exchange)
        if not table.exists():
            self.control_folder.mkdir(exist_ok=True)
            partial = table.with_name(f".{table.name}.{uuid.uuid4()}.partial")
            bound = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
            partial.write_bytes(str_to_bytes(dumps([bound])))
            try:
                os.link(partial, table)
                return
            except FileExistsError:
                pass
            finally:
                partial.unlink(missing_ok=True)
        super()._queue_bind(exchange, routing_key, pattern, queue)


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES[ALIAS] = f"{__name__}:Transport"
