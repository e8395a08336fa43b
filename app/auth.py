"""Who may do what on the dashboard (SECURITY.md).

| LSAT_DASHBOARD_PASSWORD | served on                   | viewing          | launching, cancelling |
| ----------------------- | --------------------------- | ---------------- | --------------------- |
| set                     | anywhere                    | after signing in | after signing in      |
| unset                   | loopback or a Unix socket   | yes              | yes                   |
| unset                   | any other address, or unset | yes              | no (read-only)        |

Streamlit listens on every interface when `server.address` is unset, so unset counts as exposed;
the project's `.streamlit/config.toml` binds to 127.0.0.1. The password is compared in constant
time and kept only in the settings: a session keeps the fact that it signed in, never the
password. A wrong password is answered after WRONG_PASSWORD_DELAY_S, one attempt at a time for
the whole server, so guessing stays that slow however many sessions try at once.

The functions take the `Settings` of `app.service`, which calls `require_change` before it sends
anything (the pages hide what a session may not do; the service refuses it anyway).
"""

from __future__ import annotations

import enum
import hmac
import ipaddress
import threading
import time

import streamlit as st

from lsat_core.errors import LsatError
from lsat_core.settings import Settings

PASSWORD_VARIABLE = "LSAT_DASHBOARD_PASSWORD"
SIGNED_IN_KEY = "auth_signed_in"
WRONG_PASSWORD_DELAY_S = 1.0
_ATTEMPTS = threading.Lock()
"""Held while a password is checked, and through the delay after a wrong one."""


class Access(enum.Enum):
    OPEN = "open"
    """View, launch and cancel."""
    READ_ONLY = "read-only"
    """View only: served beyond loopback with no password set."""
    LOCKED = "locked"
    """A password is set and this session has not signed in: only the sign-in page."""


class NotAllowed(LsatError):
    """Launching or cancelling asked by a session that may not."""


def is_loopback(address: str | None) -> bool:
    """Whether Streamlit bound to `address` (`server.address`) is reachable from this machine
    only."""
    if not address:
        return False  # Streamlit then listens on every interface
    if address.startswith("unix://"):
        return True  # a socket file: not on the network
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public interface


def access(settings: Settings) -> Access:
    """What this session may do."""
    if settings.dashboard_password:
        return Access.OPEN if st.session_state.get(SIGNED_IN_KEY) else Access.LOCKED
    if is_loopback(st.get_option("server.address")):
        return Access.OPEN
    return Access.READ_ONLY


def may_change(settings: Settings) -> bool:
    """Whether this session may launch and cancel experiments."""
    return access(settings) is Access.OPEN


def require_change(settings: Settings) -> None:
    """Raise NotAllowed unless this session may launch and cancel experiments."""
    if not may_change(settings):
        raise NotAllowed(f"this dashboard is read-only until {PASSWORD_VARIABLE} is set")


def check_password(settings: Settings, attempt: str) -> bool:
    """Whether `attempt` is the dashboard password (constant-time), slowly when it is not."""
    expected = settings.dashboard_password.encode()
    with _ATTEMPTS:
        if expected and hmac.compare_digest(attempt.encode(), expected):
            return True
        time.sleep(WRONG_PASSWORD_DELAY_S)
        return False


def sign_in_form(settings: Settings) -> None:
    """The page a locked session sees: a password field; signing in reruns the whole app."""
    st.header("Sign in to LSAT Studio")
    # Cleared on submit: the password does not stay in the session's widget state.
    with st.form("sign_in", clear_on_submit=True):
        attempt = st.text_input("Password", type="password", key="auth_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    if check_password(settings, attempt):
        st.session_state[SIGNED_IN_KEY] = True
        st.rerun()
    st.error("Wrong password.", icon=":material/lock:")


def sign_out() -> None:
    st.session_state.pop(SIGNED_IN_KEY, None)


def read_only_banner() -> None:
    where = st.get_option("server.address") or "every network interface"
    st.warning(
        f"Read-only: this dashboard is served on {where} without a password, so launching and "
        f"cancelling are off. Set "
        f"{PASSWORD_VARIABLE} where the dashboard starts (everyone then signs in), or serve it "
        "on 127.0.0.1 only (`--server.address 127.0.0.1`).",
        icon=":material/lock:",
    )
