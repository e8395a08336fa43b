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


def test_the_chosen_experiments_follow_the_reader_from_compare_to_findings_and_back(
    app_env, app_dir: Path
) -> None:
    """Compare and Findings share one choice: a reader who picked experiments on one page finds
    them chosen on the other (Streamlit resets a widget on another page to its default)."""
    app = AppTest.from_file(app_dir / "main.py", default_timeout=60).run()
    app.switch_page("views/compare.py").run()
    (choice,) = app.multiselect
    assert choice.value == [app_env.fixed_experiment_id]  # the newest experiment
    choice.set_value([app_env.next_experiment_id]).run()

    for page in ("views/findings.py", "views/compare.py", "views/findings.py"):
        app.switch_page(page).run()
        assert not app.exception, page
        (choice,) = app.multiselect
        assert choice.value == [app_env.next_experiment_id], page
    assert len([m for m in app.markdown if "-badge[" in m.value]) == 3  # its three findings

    app.multiselect[0].set_value([]).run()
    app.switch_page("views/compare.py").run()
    assert app.multiselect[0].value == []
    assert [note.value for note in app.info] == ["Choose at least one experiment."]


def test_an_experiment_linked_from_another_page_can_be_removed(run_page, app_env) -> None:
    """A link of one experiment (`?experiment=N`) chooses it once, and does not bring it back."""
    app = run_page("compare.py", experiment=app_env.next_experiment_id)
    assert app.multiselect[0].value == [app_env.next_experiment_id]
    assert "experiment" not in app.query_params
    app.multiselect[0].set_value([]).run()
    assert app.multiselect[0].value == []
    assert [note.value for note in app.info] == ["Choose at least one experiment."]
