"""Migration 0003 (tags, note, archive) on a store that already holds experiments."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from lsat_core.store import current_revision, make_engine, session_scope, upgrade
from lsat_core.store.experiment_admin import add_tags, set_archived, tags_by_experiment
from lsat_core.store.models import Experiment
from lsat_core.store.queries import list_experiments


def test_a_0002_store_keeps_its_experiments_untagged_and_listed(store_url: str) -> None:
    upgrade(store_url, "0002")
    engine = make_engine(store_url)
    with session_scope(engine) as session:
        # The 0002 columns only: today's model would write note and archived_at too.
        session.execute(
            text(
                "INSERT INTO experiments (name, protocol, status, config, created_at)"
                " VALUES ('old', 'next_period', 'succeeded', '{}', :now)"
            ),
            {"now": datetime.now(UTC)},
        )
    upgrade(store_url, "0003")
    assert current_revision(store_url) == "0003"
    with session_scope(engine) as session:
        (old,) = list_experiments(session)
        assert (old.name, old.note, old.archived_at) == ("old", None, None)
        assert tags_by_experiment(session) == {}
        add_tags(session, old.id, ["legacy"])
        set_archived(session, old.id, True)
    with session_scope(engine) as session:
        assert tags_by_experiment(session) == {old.id: ("legacy",)}
        assert session.get_one(Experiment, old.id).archived_at is not None
    engine.dispose()
