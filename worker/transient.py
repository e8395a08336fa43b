"""The one decision of whether an error is transient (retry the task) or not (fail its runs):
the store's and the network's errors as `lsat_core.store.transient_errors` judges them, plus
the broker's. A transient error's task succeeds when delivered again, so it is retried with
backoff and never fails an experiment on its own; everything else, a user's bad input
(`LsatError`) first of all, is recorded on the runs as one line.
"""

from __future__ import annotations

import kombu.exceptions
import redis.exceptions

from lsat_core.store import transient_errors

BROKER_ERRORS: tuple[type[BaseException], ...] = (
    kombu.exceptions.OperationalError,  # the broker is unreachable
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether the task that raised `exc` should be retried rather than fail its runs."""
    return transient_errors.is_transient(exc) or isinstance(exc, BROKER_ERRORS)
