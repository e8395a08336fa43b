"""The experiment chooser of the monitor, compare and cold/warm pages (kept in `?experiment=`),
with a filter by text (name, note, tag), status, strategy, backbone and tag; archived
experiments are listed only when asked for."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import streamlit as st

from app import experiment_records, service
from app.widgets import select_id

STATUS_COLORS: dict[str, Literal["orange", "blue", "green", "red", "gray"]] = {
    "pending": "orange",
    "running": "blue",
    "succeeded": "green",
    "failed": "red",
}
"""Badge colours of the chosen experiment's status (cancelled and any other: gray)."""
STATUSES = ("pending", "running", "succeeded", "failed", "cancelled")


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


@dataclass(frozen=True)
class CatalogFilter:
    text: str = ""
    """Found in the name, the note or a tag (case ignored)."""
    statuses: Collection[str] = ()
    strategies: Collection[str] = ()
    """Experiments with a run of any of these."""
    backbones: Collection[str] = ()
    tags: Collection[str] = ()
    """Experiments with all of these tags."""
    archived: bool = False
    """List archived experiments too."""

    def apply(self, catalog: pd.DataFrame) -> pd.DataFrame:
        keep = pd.Series(True, index=catalog.index)
        if not self.archived:
            keep &= ~catalog["archived"]
        if self.text.strip():
            needle = self.text.strip().lower()
            keep &= catalog.apply(
                lambda e: (
                    needle in e["name"].lower()
                    or needle in e["note"].lower()
                    or any(needle in tag for tag in e["tags"])
                ),
                axis=1,
            ).astype(bool)
        if self.statuses:
            keep &= catalog["status"].isin(list(self.statuses))
        for column, wanted, needs_all in (
            ("strategies", self.strategies, False),
            ("backbones", self.backbones, False),
            ("tags", self.tags, True),
        ):
            if wanted:
                test = set(wanted).issubset if needs_all else set(wanted).intersection
                keep &= catalog[column].map(lambda values, t=test: bool(t(values))).astype(bool)
        return catalog[keep]


def _options(catalog: pd.DataFrame, column: str) -> list[str]:
    return sorted({value for values in catalog[column] for value in values})


def _filter_widgets(catalog: pd.DataFrame) -> CatalogFilter:
    with st.popover("Filter", icon=":material/filter_list:"):
        text = st.text_input("Search name, note or tag", key="picker_text")
        statuses = st.multiselect("Status", STATUSES, key="picker_statuses")
        strategies = st.multiselect(
            "Strategy", _options(catalog, "strategies"), key="picker_strategies"
        )
        backbones = st.multiselect(
            "Backbone", _options(catalog, "backbones"), key="picker_backbones"
        )
        tags = st.multiselect("Tags (all of)", _options(catalog, "tags"), key="picker_tags")
        archived = st.toggle("Show archived experiments", key="picker_archived")
    return CatalogFilter(text, statuses, strategies, backbones, tags, archived)


def choose_experiment() -> ChosenExperiment | None:
    """Render the chooser; None (with a note shown) when no experiment is there to choose."""
    catalog = experiment_records.catalog()
    if catalog.empty:
        st.info(
            "No experiment in the store yet: start one on the Launch page or with `lsat submit`."
        )
        return None
    chooser, filter_column = st.columns([5, 1], vertical_alignment="bottom")
    with filter_column:
        wanted = _filter_widgets(catalog)
    shown = wanted.apply(catalog)
    if shown.empty:
        chooser.info(f"No experiment matches the filter (of {len(catalog)} in the store).")
        return None
    # The status goes under the chooser, not in its labels: a browser keeps showing a chosen
    # option's first label when only its text changes, so a finished experiment would still
    # read "running" there. The creation date never changes.
    with chooser:
        experiment_id = select_id(
            "Experiment",
            {
                e.id: f"#{e.id} {e.name} · {e.protocol} · {e.created_at:%Y-%m-%d}"
                for e in shown.itertuples()
            },
            "experiment",
        )
    if len(shown) < len(catalog):
        hidden = " (archived ones hidden)" if not wanted.archived else ""
        st.caption(f"{len(shown)} of {len(catalog)} experiments shown{hidden}.")
    row = shown.set_index("id").loc[experiment_id]
    badges = st.container(horizontal=True)
    with badges:
        st.badge(
            f"{row['status']} · created {row['created_at']:%Y-%m-%d %H:%M} UTC",
            color=STATUS_COLORS.get(str(row["status"]), "gray"),
        )
        if row["archived"]:
            st.badge("archived", color="gray", icon=":material/archive:")
        for tag in row["tags"]:
            st.badge(tag, color="violet", icon=":material/sell:")
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
