"""The Compare page's choice of several experiments, kept in the URL as `?experiments=3,5`.

A link from a page that chose one experiment (`?experiment=3`, `app.experiment_picker`) opens
with that one chosen; with neither, the choice last made on Compare or Findings is kept, and on
a first visit the newest experiment is chosen.
"""

from __future__ import annotations

import streamlit as st

from app import service

PARAM = "experiments"
SINGLE_PARAM = "experiment"  # what a page that chose one experiment links with
KEY = "choose_experiments"
# The choice outlives the widget: Streamlit resets a widget that another page draws with the
# same key (its identity includes the page), so the ids are kept under a key no widget owns
# and handed to the widget on every run (the Streamlit docs' "Working with widgets in
# multipage apps", options 3 and 4).
CHOSEN = "chosen_experiments"


def choose_experiments() -> tuple[int, ...] | None:
    """Render the multiselect; the chosen ids in the order chosen, or None (with a note
    shown) when the store holds no experiment."""
    experiments = service.experiments()
    if experiments.empty:
        st.info(
            "No experiment in the store yet: start one on the Launch page or with `lsat submit`."
        )
        return None
    labels = {
        int(e.id): f"#{e.id} {e.name} · {e.protocol} · {e.created_at:%Y-%m-%d}"
        for e in experiments.itertuples()
    }
    in_url = _ids_in_url()
    if in_url or CHOSEN not in st.session_state:
        st.session_state[CHOSEN] = [i for i in in_url if i in labels] or [next(iter(labels))]
    st.session_state[KEY] = [i for i in st.session_state[CHOSEN] if i in labels]
    chosen = st.multiselect(
        "Experiments",
        list(labels),
        format_func=labels.__getitem__,
        key=KEY,
        on_change=_keep_choice,
        help="Their runs are set side by side: seeds, backbones or budgets of one protocol.",
    )
    st.query_params[PARAM] = ",".join(map(str, chosen))
    # Read once: left in the URL it would bring its experiment back after the reader removed it.
    st.query_params.pop(SINGLE_PARAM, None)
    return tuple(chosen)


def _keep_choice() -> None:
    """The reader's change, kept for the other page and written to the URL before the rerun,
    so that the URL read at its start already holds it."""
    st.session_state[CHOSEN] = list(st.session_state[KEY])
    st.query_params[PARAM] = ",".join(map(str, st.session_state[CHOSEN]))


def _ids_in_url() -> list[int]:
    raw = st.query_params.get(PARAM) or st.query_params.get(SINGLE_PARAM) or ""
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]
