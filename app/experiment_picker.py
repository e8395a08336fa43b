"""The experiment chooser of the monitor, compare and cold/warm pages (kept in `?experiment=`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

from app import service
from app.widgets import select_id

STATUS_COLORS: dict[str, Literal["orange", "blue", "green", "red", "gray"]] = {
    "pending": "orange",
    "running": "blue",
    "succeeded": "green",
    "failed": "red",
}
"""Badge colours of the chosen experiment's status (cancelled and any other: gray)."""


@dataclass(frozen=True)
class ChosenExperiment:
    id: int
    name: str
    protocol: str
    status: str
    num_periods: int | None
    """T of the experiment's stream; None until the stream is built."""
    dataset: str | None
    """The stream's dataset name, e.g. "ml-1m"; None until the stream is built."""


def choose_experiment() -> ChosenExperiment | None:
    """Render the chooser; None (with a note shown) when the store holds no experiment."""
    experiments = service.experiments()
    if experiments.empty:
        st.info(
            "No experiment in the store yet: start one on the Launch page or with `lsat submit`."
        )
        return None
    # The status goes under the chooser, not in its labels: a browser keeps showing a chosen
    # option's first label when only its text changes, so a finished experiment would still
    # read "running" there. The creation date never changes.
    experiment_id = select_id(
        "Experiment",
        {
            e.id: f"#{e.id} {e.name} · {e.protocol} · {e.created_at:%Y-%m-%d}"
            for e in experiments.itertuples()
        },
        "experiment",
    )
    row = experiments.set_index("id").loc[experiment_id]
    st.badge(
        f"{row['status']} · created {row['created_at']:%Y-%m-%d %H:%M} UTC",
        color=STATUS_COLORS.get(str(row["status"]), "gray"),
    )
    streams = service.experiment_streams(experiment_id)
    if len(streams) > 1:
        st.warning(
            f"The runs of this experiment replay {len(streams)} different streams; "
            f"periods are read from stream #{streams['id'].iloc[0]}."
        )
    num_periods = int(streams["num_periods"].iloc[0]) if len(streams) else None
    dataset = str(streams["dataset"].iloc[0]) if len(streams) else None
    return ChosenExperiment(
        id=int(experiment_id),
        name=str(row["name"]),
        protocol=str(row["protocol"]),
        status=str(row["status"]),
        num_periods=num_periods,
        dataset=dataset,
    )
