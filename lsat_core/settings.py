"""The one place that reads the environment.

Library functions take a `Settings` (or the paths in it) as an argument; only entry points
(CLI, worker, dashboard) call `Settings.from_env()`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from lsat_core.errors import ConfigError


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "lsat-studio"


@dataclass(frozen=True)
class WorkLimits:
    """How much work one submission (the launch form, `lsat run`, `lsat submit`) may request.

    A shared machine runs whatever is queued: these caps stop a typo (1e9 samples, 10,000
    epochs) from taking it over. Each is set from the environment variable named in its help.
    """

    max_samples_per_period: int = 100_000
    """LSAT_MAX_SAMPLES_PER_PERIOD: train, validation or test samples asked for per period (0,
    the whole part, is bounded by the dataset itself; ML-1M periods hold 10,000)."""
    max_epochs: int = 500
    """LSAT_MAX_EPOCHS: LoRA epochs (the reference's 500, which relies on early stopping)."""
    max_lora_rank: int = 256
    """LSAT_MAX_LORA_RANK: LoRA rank r (the reference: 8)."""
    max_updates: int = 200
    """LSAT_MAX_UPDATES: strategies x update periods of one submission (ten strategies over the
    19 updates of a 20-period stream fit)."""
    max_data_file_mb: int = 256
    """LSAT_MAX_DATA_FILE_MB: a user's own ratings file (`lsat data stats --file`); building its
    stream holds about 24 times its size in memory (`lsat_core.data.sources.tabular`)."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"must be an integer >= 1, got {value!r}", where=_env(item.name))

    @classmethod
    def from_env(cls) -> WorkLimits:
        values = {}
        for item in fields(cls):
            text = os.environ.get(_env(item.name), "").strip()
            if text:
                try:
                    values[item.name] = int(text)
                except ValueError:
                    raise ConfigError(
                        f"expected an integer, got {text!r}", where=_env(item.name)
                    ) from None
        return cls(**values)


def _env(name: str) -> str:
    return f"LSAT_{name.upper()}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    """Root of all we write: caches (datasets, streams, backbones), adapters, the SQLite store."""
    database_url: str
    """SQLAlchemy URL of the run store; SQLite in `data_dir` unless LSAT_DATABASE_URL is set."""
    broker_url: str
    """Celery broker; the filesystem transport in `data_dir` unless LSAT_BROKER_URL is set."""
    dashboard_password: str = ""
    """LSAT_DASHBOARD_PASSWORD: asked by the dashboard before anything is shown (`app.auth`);
    empty: no password (the dashboard is then read-only unless served on loopback)."""
    limits: WorkLimits = field(default_factory=WorkLimits)
    """Caps on the work one submission may request (LSAT_MAX_* variables)."""

    def __repr__(self) -> str:
        # Both URLs may hold passwords, and a traceback or a log line may show this object.
        return (
            f"Settings(data_dir={str(self.data_dir)!r}, "
            f"database_url={redact_url(self.database_url)!r}, "
            f"broker_url={redact_url(self.broker_url)!r}, "
            f"dashboard_password={'***' if self.dashboard_password else ''!r}, "
            f"limits={self.limits!r})"
        )

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
            dashboard_password=overrides.get("dashboard_password", ""),
        )

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("LSAT_DATA_DIR") or _default_data_dir())
        settings = cls.for_data_dir(
            data_dir,
            database_url=os.environ.get("LSAT_DATABASE_URL", ""),
            broker_url=os.environ.get("LSAT_BROKER_URL", ""),
            dashboard_password=os.environ.get("LSAT_DASHBOARD_PASSWORD", ""),
        )
        return dataclasses.replace(settings, limits=WorkLimits.from_env())


def redact_url(url: str) -> str:
    """`url` (a database or broker URL) with its password shown as ***, for logs and messages.

    A password in the query string (`?password=`) is not recognised: keep it in the user part.
    """
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<not a URL>"
