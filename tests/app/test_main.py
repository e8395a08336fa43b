from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

READ_PAGES = (
    "views/replay.py",
    "views/monitor.py",
    "views/compare.py",
    "views/cold_warm.py",
    "views/findings.py",
)
PAGES = (*READ_PAGES, "views/launch.py")
HEADERS = {
    "views/replay.py": "Stream replay",
    "views/launch.py": "Launch a comparison",
    "views/monitor.py": "Run monitor",
    "views/compare.py": "Compare strategies",
    "views/cold_warm.py": "Cold and warm items",
    "views/findings.py": "Findings",
}


def test_navigation_opens_on_the_replay_and_reaches_every_page(app_env, app_dir: Path) -> None:
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    assert not app.exception
    assert [h.value for h in app.header] == ["Stream replay"]

    for page in PAGES:
        app.switch_page(page).run()
        assert not app.exception, page
        assert [h.value for h in app.header] == [HEADERS[page]]


@pytest.fixture
def empty_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_caches: None) -> None:
    """A data folder with no database yet: the dashboard creates and migrates it."""
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LSAT_DATABASE_URL", raising=False)


@pytest.mark.parametrize("page", READ_PAGES)
def test_every_page_that_reads_explains_an_empty_store(
    empty_store, app_dir: Path, tmp_path: Path, page: str
) -> None:
    app = AppTest.from_file(app_dir / page, default_timeout=60).run()

    assert not app.exception
    (note,) = app.info
    assert note.value.startswith("No ")
    assert (tmp_path / "lsat.db").is_file()


def test_the_dashboard_config_hides_the_deploy_button(
    monkeypatch: pytest.MonkeyPatch, app_dir: Path
) -> None:
    """Read by Streamlit itself from .streamlit/config.toml, so a misspelt option fails here."""
    monkeypatch.chdir(app_dir.parent)  # Streamlit reads .streamlit/ in the folder it starts in
    try:
        config.get_config_options(force_reparse=True)
        assert config.get_option("client.toolbarMode") == "viewer"
        assert config.get_option("server.address") == "127.0.0.1"
    finally:
        monkeypatch.undo()
        config.get_config_options(force_reparse=True)
