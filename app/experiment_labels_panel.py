"""The run monitor's "Tags, note, archive" controls for the chosen experiment (`lsat tag`,
`lsat note`, `lsat archive` and `lsat delete` do the same from the command line)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import experiment_records
from app.confirm_step import confirmation_armed, keep_button
from app.experiment_picker import ChosenExperiment
from lsat_core.errors import LsatError

CONFIRM_DELETE_KEY = "labels_confirm_delete"
OUTCOME_KEY = "labels_outcome"
FINISHED = ("succeeded", "failed", "cancelled")


def labels_panel(chosen: ChosenExperiment, catalog: pd.DataFrame, *, may_change: bool) -> None:
    row = catalog.set_index("id").loc[chosen.id]
    outcome = st.session_state.pop(OUTCOME_KEY, None)
    if outcome is not None:
        st.success(outcome)
    summary = ", ".join(row["tags"]) or "no tags"
    with st.expander(f"Tags, note, archive · {summary}", expanded=False):
        if not may_change:
            st.caption(
                f"Read-only here: `lsat tag {chosen.id} ...` and `lsat note {chosen.id} ...` on "
                "the server change them."
            )
            st.write(row["note"] or "No note.")
            return
        known = sorted({tag for tags in catalog["tags"] for tag in tags})
        tags = st.multiselect(
            "Tags",
            known,
            default=list(row["tags"]),
            accept_new_options=True,
            key=f"labels_tags_{chosen.id}",
            help="Type a new tag and press Enter: lower case letters, digits and _ . : / + -.",
        )
        note = st.text_area("Note", value=row["note"], key=f"labels_note_{chosen.id}")
        save, archive, delete = st.columns(3)
        if save.button("Save tags and note", key="labels_save", icon=":material/save:"):
            _act(lambda: experiment_records.save_labels(chosen.id, tags, note), "saved")
        archived = bool(row["archived"])
        if archive.button(
            "Unarchive" if archived else "Archive",
            key="labels_archive",
            icon=":material/unarchive:" if archived else ":material/archive:",
            help="Archived experiments are hidden from the pickers unless they are asked for.",
        ):
            _act(
                lambda: experiment_records.archive(chosen.id, not archived),
                "unarchived" if archived else "archived",
            )
        if chosen.status in FINISHED:
            _delete_control(delete, chosen.id)


def _act(change, done: str) -> None:
    try:
        change()
    except LsatError as exc:
        st.error(str(exc))
        return
    st.session_state[OUTCOME_KEY] = f"Experiment {done}."
    st.rerun()


def _delete_control(column, experiment_id: int) -> None:
    if not confirmation_armed(
        column,
        CONFIRM_DELETE_KEY,
        experiment_id,
        "Delete…",
        key="labels_delete",
        icon=":material/delete:",
    ):
        return
    st.warning(
        f"Delete experiment #{experiment_id} with its runs, results and predictions that no other "
        "experiment shares, and the models it trained when no other experiment replays its "
        "streams? This cannot be undone."
    )
    yes, no = st.columns(2, width=400)
    if yes.button("Yes, delete it", type="primary", key="labels_delete_confirm"):
        st.session_state.pop(CONFIRM_DELETE_KEY, None)
        try:
            deletion = experiment_records.delete(experiment_id)
        except LsatError as exc:
            st.error(str(exc))
            return
        st.query_params.pop("experiment", None)
        st.session_state[OUTCOME_KEY] = (
            f"Experiment #{experiment_id} deleted: {len(deletion.runs_deleted)} runs and "
            f"{len(deletion.models_deleted)} models; {len(deletion.runs_kept)} shared runs kept."
        )
        st.rerun()
    keep_button(no, CONFIRM_DELETE_KEY, key="labels_delete_abort")
