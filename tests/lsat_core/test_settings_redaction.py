"""Database and broker URLs may hold passwords: `Settings` never shows them (SECURITY.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsat_core.errors import ConfigError
from lsat_core.settings import Settings, redact_url
from lsat_core.store.engine import make_engine


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://lsat:hunter2@db:5432/lsat",
            "postgresql+psycopg://lsat:***@db:5432/lsat",
        ),
        ("redis://:hunter2@redis:6379/0", "redis://:***@redis:6379/0"),
        ("rediss://default:hunter2@redis:6380/1", "rediss://default:***@redis:6380/1"),
        ("redis://redis:6379/0", "redis://redis:6379/0"),
        ("sqlite:////data/lsat.db", "sqlite:////data/lsat.db"),
        ("filesystem:///data/broker", "filesystem:///data/broker"),
        ("hunter2", "<not a URL>"),
    ],
)
def test_redact_url_hides_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_the_repr_of_settings_shows_no_password(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LSAT_DATABASE_URL", "postgresql+psycopg://lsat:db-secret@db/lsat")
    monkeypatch.setenv("LSAT_BROKER_URL", "redis://:broker-secret@redis:6379/0")
    monkeypatch.setenv("LSAT_DASHBOARD_PASSWORD", "dashboard-secret")
    settings = Settings.from_env()

    assert settings.dashboard_password == "dashboard-secret"
    shown = repr(settings)
    assert "secret" not in shown
    assert "postgresql+psycopg://lsat:***@db/lsat" in shown
    assert str(settings) == shown


@pytest.mark.parametrize(
    "url",
    [
        " postgresql+psycopg://lsat:hunter2@db/lsat",  # a stray space: not parsable
        "postgresql+psycopg://lsat:hunter2@db:port/lsat",  # not a port number
    ],
)
def test_an_unparsable_database_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigError, match="not a database URL") as caught:
        make_engine(url)
    assert "hunter2" not in str(caught.value)
