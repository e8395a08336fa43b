"""A two-step confirmation for an action that cannot be undone (cancel, delete): a first button
arms it for one target, kept in the session state; the page then asks, and "No, keep it"
disarms it."""

from __future__ import annotations

import streamlit as st


def confirmation_armed(
    container, confirm_key: str, target: int, label: str, *, key: str, icon: str
) -> bool:
    """Whether the confirmation under `confirm_key` is armed for `target`; while it is not, a
    button `label` in `container` that arms it."""
    if st.session_state.get(confirm_key) == target:
        return True
    container.button(
        label, key=key, icon=icon, on_click=st.session_state.__setitem__, args=(confirm_key, target)
    )
    return False


def keep_button(container, confirm_key: str, *, key: str) -> None:
    """The "No, keep it" answer: disarms the confirmation."""
    container.button("No, keep it", key=key, on_click=st.session_state.pop, args=(confirm_key,))
