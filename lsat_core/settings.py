"""The one place that reads the environment.

Library functions take a `Settings` (or the paths in it) as an argument; only entry points
(CLI, worker, dashboard) call `Settings.from_env()`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "lsat-studio"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    """Root of all we write: caches (datasets, streams, backbones), adapters, the SQLite store."""
    database_url: str
    """SQLAlchemy URL of the run store; SQLite in `data_dir` unless LSAT_DATABASE_URL is set."""
    broker_url: str
    """Celery broker; the filesystem transport in `data_dir` unless LSAT_BROKER_URL is set."""

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @classmethod
    def for_data_dir(cls, data_dir: Path, **overrides: str) -> Settings:
        data_dir = Path(data_dir).expanduser().resolve()
        return cls(
            data_dir=data_dir,
            database_url=overrides.get("database_url") or f"sqlite:///{data_dir / 'lsat.db'}",
            broker_url=overrides.get("broker_url") or f"filesystem://{data_dir / 'broker'}",
        )

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("LSAT_DATA_DIR") or _default_data_dir())
        return cls.for_data_dir(
            data_dir,
            database_url=os.environ.get("LSAT_DATABASE_URL", ""),
            broker_url=os.environ.get("LSAT_BROKER_URL", ""),
        )
