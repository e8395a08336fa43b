from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.db_commands import db_app
from lsat_core.errors import ConfigError
from lsat_core.store import current_revision, head_revision, temporary_schema


def test_upgrade_creates_the_default_sqlite_store_and_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LSAT_DATABASE_URL", raising=False)
    runner = CliRunner()
    first = runner.invoke(db_app, ["upgrade"])
    assert first.exit_code == 0, first.output
    database = tmp_path / "data" / "lsat.db"
    assert current_revision(f"sqlite:///{database}") == head_revision()
    assert f"{database}: empty -> revision {head_revision()}" in first.output
    again = runner.invoke(db_app, ["upgrade"])
    assert again.exit_code == 0 and f"already at revision {head_revision()}" in again.output


@pytest.mark.postgres
def test_upgrade_uses_lsat_database_url_and_hides_its_password(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with temporary_schema(postgres_url) as url:
        with_password = url.replace("postgres@", "postgres:hunter2@", 1)
        monkeypatch.setenv("LSAT_DATABASE_URL", with_password)
        result = CliRunner().invoke(db_app, ["upgrade"])
        assert result.exit_code == 0, result.output
        assert current_revision(url) == head_revision()
        assert "hunter2" not in result.output and "***" in result.output


def test_a_bad_database_url_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LSAT_DATABASE_URL", "mysql://somewhere/db")
    result = CliRunner().invoke(db_app, ["upgrade"])
    assert isinstance(result.exception, ConfigError)
    assert "unsupported database 'mysql'" in str(result.exception)
