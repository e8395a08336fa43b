"""The texts of a worker task's events: written by `worker.jobs`, read back by
`experiment_progress` (and the fault tests). One place owns them, so a reworded event cannot
silently stop being read.

A task's events, all under its task id: "queued on <queue>: <what>" when the launch sends it,
then "started <what> on <host>" and "finished <what>[: <outcome>]", or "skipped <what>:
<reason>" when no run wants it any more. <what> is "train <model label>" (at launch with
" (also <roles>)" for a model several specs share) or "evaluate ...".
"""

from __future__ import annotations

from collections.abc import Sequence

QUEUED = "queued on "
STARTED = "started "
FINISHED = "finished "
SKIPPED = "skipped "
ENDED = (FINISHED, SKIPPED)
ALREADY_TRAINED = "already trained"
"""The outcome of a training task that found its model trained (another task made it)."""
OUTCOME_SEPARATOR = ": "
TRAIN_TASK = "train "
EVALUATE_TASK = "evaluate "


def queued(queue: str, what: str) -> str:
    return f"{QUEUED}{queue}{OUTCOME_SEPARATOR}{what}"


def started(what: str, host: str) -> str:
    return f"{STARTED}{what} on {host}"


def finished(what: str, outcome: str | None = None) -> str:
    return f"{FINISHED}{what}" + (f"{OUTCOME_SEPARATOR}{outcome}" if outcome else "")


def skipped(what: str, reason: str) -> str:
    return f"{SKIPPED}{what}{OUTCOME_SEPARATOR}{reason}"


def train(label: str, also: Sequence[str] = ()) -> str:
    """The <what> of the task training model `label`; `also`: the other specs whose weights it
    is, as "<role>@<period>" (the launch's "queued on" text names them)."""
    return f"{TRAIN_TASK}{label}" + (f" (also {', '.join(also)})" if also else "")


def evaluate(subject: str, train_period: int) -> str:
    """The <what> of the task evaluating `subject` (a strategy, with its seed when several)."""
    return f"{EVALUATE_TASK}{subject} at t={train_period}"


def queued_what(message: str) -> str | None:
    """The <what> of a "queued on" event, else None."""
    if not message.startswith(QUEUED):
        return None
    return message.partition(OUTCOME_SEPARATOR)[2]


def is_started(message: str) -> bool:
    return message.startswith(STARTED)


def is_ended(message: str) -> bool:
    return message.startswith(ENDED)


def is_reused(message: str) -> bool:
    """A training task's end that found its model trained: done, but it trained nothing."""
    return message.startswith(FINISHED) and message.endswith(OUTCOME_SEPARATOR + ALREADY_TRAINED)


def trained_label(message: str) -> str | None:
    """The label of the model a "finished train" event says was trained to the end (not
    loaded from the store), else None."""
    if not message.startswith(FINISHED + TRAIN_TASK) or is_reused(message):
        return None
    return message.removeprefix(FINISHED + TRAIN_TASK).split(OUTCOME_SEPARATOR, 1)[0]
