"""Helpers shared by every frozen run configuration: a stable dict form and a content hash.

A config is a frozen dataclass validated in `__post_init__`; it is stored with every result and
its hash keys caches (streams, adapters) so that a result can be reproduced from its stored copy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, TypeVar

T = TypeVar("T")


def config_to_dict(config: Any) -> dict[str, Any]:
    """JSON-safe dict of a (possibly nested) frozen dataclass; tuples become lists."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"not a dataclass instance: {config!r}")
    return json.loads(json.dumps(dataclasses.asdict(config), default=str))


def config_hash(config: Any, length: int = 16) -> str:
    """Content hash of a config: equal configs hash equal across processes and machines."""
    payload = json.dumps(config_to_dict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:length]


def config_from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a config from its stored dict; unknown keys are an error, not silently dropped."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)}")
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            value = data[f.name]
            kwargs[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**kwargs)
