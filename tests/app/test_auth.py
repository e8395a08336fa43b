"""The dashboard's gate (app/auth.py) through the whole app (app/main.py) with AppTest: a
password locks every page, a wrong one is refused slowly, loopback without a password is open,
and any other address without a password is read-only."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from app import auth, service
from lsat_core.store import make_engine, session_scope
from lsat_core.store.queries import get_experiment

PASSWORD = "correct horse battery staple"
LAUNCH_PAGE = "views/launch.py"
MONITOR_PAGE = "views/monitor.py"


@pytest.fixture
def served_on() -> Iterator[Callable[[str | None], None]]:
    """Sets Streamlit's `server.address` as `--server.address` would, for this test only."""
    before = config.get_option("server.address")
    yield lambda address: config.set_option("server.address", address)
    config.set_option("server.address", before)


@pytest.fixture
def dashboard(app_env, app_dir: Path) -> Callable[[], AppTest]:
    """The whole app, opened with the running experiment in the URL (for the Run monitor)."""

    def open_app() -> AppTest:
        app = AppTest.from_file(app_dir / "main.py", default_timeout=60)
        app.query_params["experiment"] = str(app_env.next_experiment_id)
        return app.run()

    return open_app


def buttons(app: AppTest) -> list[str]:
    return [button.label for button in app.button]


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("unix:///run/lsat/dashboard.sock", True),
        (None, False),  # Streamlit listens on every interface
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("lab-host.example.org", False),
    ],
)
def test_loopback_addresses(address: str | None, loopback: bool) -> None:
    assert auth.is_loopback(address) is loopback


def test_a_password_shows_only_the_sign_in_page_until_it_is_given(
    dashboard, served_on, monkeypatch: pytest.MonkeyPatch
) -> None:
    served_on("0.0.0.0")
    monkeypatch.setenv(auth.PASSWORD_VARIABLE, PASSWORD)
    app = dashboard()

    assert not app.exception
    assert [h.value for h in app.header] == ["Sign in to LSAT Studio"]
    assert buttons(app) == ["Sign in"]
    assert not app.dataframe and not app.metric and not app.selectbox
    for page in (LAUNCH_PAGE, MONITOR_PAGE, "views/replay.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page)

    app.text_input(key="auth_password").input(PASSWORD.upper())
    started = time.monotonic()
    app.button[0].click().run()
    assert time.monotonic() - started >= auth.WRONG_PASSWORD_DELAY_S
    assert [e.value for e in app.error] == ["Wrong password."]
    assert [h.value for h in app.header] == ["Sign in to LSAT Studio"]

    app.text_input(key="auth_password").input(PASSWORD)
    app.button[0].click().run()
    assert [h.value for h in app.header] == ["Stream replay"]
    # Signed in: the session remembers that, not the password.
    assert app.session_state[auth.SIGNED_IN_KEY] is True
    assert "auth_password" not in app.session_state
    app.switch_page(MONITOR_PAGE).run()
    assert "Cancel experiment" in buttons(app)
    app.switch_page(LAUNCH_PAGE).run()
    assert [h.value for h in app.header] == ["Launch a comparison"]

    app.sidebar.button[0].click().run()
    assert [h.value for h in app.header] == ["Sign in to LSAT Studio"]


def test_loopback_without_a_password_is_open(dashboard, served_on) -> None:
    served_on("127.0.0.1")
    app = dashboard()

    assert not app.exception
    assert [h.value for h in app.header] == ["Stream replay"]
    assert not app.warning
    app.switch_page(MONITOR_PAGE).run()
    assert "Cancel experiment" in buttons(app)
    app.switch_page(LAUNCH_PAGE).run()
    assert "Launch" in buttons(app)


@pytest.mark.parametrize("address", [None, "0.0.0.0", "lab-host.example.org"])
def test_beyond_loopback_without_a_password_is_read_only(
    dashboard, served_on, app_env, address: str | None
) -> None:
    served_on(address)
    app = dashboard()

    assert not app.exception
    assert [h.value for h in app.header] == ["Stream replay"]
    (banner,) = app.warning
    assert banner.value.startswith("Read-only")
    assert auth.PASSWORD_VARIABLE in banner.value
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(LAUNCH_PAGE)
    app.switch_page(MONITOR_PAGE).run()
    assert [h.value for h in app.header] == ["Run monitor"]
    assert {m.label: m.value for m in app.metric}["Status"] == "running"
    assert "Cancel experiment" not in buttons(app)
    captions = [caption.value for caption in app.caption]
    assert any(f"lsat cancel {app_env.next_experiment_id}" in text for text in captions)
    # Tags and notes are the server's too: the labels panel says how to set them there.
    assert any(f"lsat tag {app_env.next_experiment_id}" in text for text in captions)


def test_the_service_refuses_a_read_only_session_whatever_the_page_shows(
    private_app_env, served_on
) -> None:
    served_on("0.0.0.0")

    with pytest.raises(auth.NotAllowed, match=auth.PASSWORD_VARIABLE):
        service.cancel_experiment(private_app_env.next_experiment_id)
    with pytest.raises(auth.NotAllowed):
        service.submit_experiment({"protocol": "next-period", "strategies": ["fine_tune"]}, "x")

    engine = make_engine(private_app_env.url)
    try:
        with session_scope(engine) as session:
            experiment = get_experiment(session, private_app_env.next_experiment_id)
            assert experiment is not None and experiment.status == "running"
    finally:
        engine.dispose()
