"""The Compare page's choice of several experiments, kept in the URL as `?experiments=3,5`.

A link from a page that chose one experiment (`?experiment=3`, `app.experiment_picker`) opens
with that one chosen; with neither, the newest experiment is.
"""

from __future__ import annotations

import streamlit as st

from app import service

PARAM = "experiments"
KEY = "choose_experiments"


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
    if KEY not in st.session_state:
        st.session_state[KEY] = [i for i in _ids_in_url() if i in labels] or [next(iter(labels))]
    chosen = st.multiselect(
        "Experiments",
        list(labels),
        format_func=labels.__getitem__,
        key=KEY,
        help="Their runs are set side by side: seeds, backbones or budgets of one protocol.",
    )
    st.query_params[PARAM] = ",".join(map(str, chosen))
    return tuple(chosen)


def _ids_in_url() -> list[int]:
    raw = st.query_params.get(PARAM) or st.query_params.get("experiment") or ""
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]
