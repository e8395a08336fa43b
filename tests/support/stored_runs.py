"""A stored experiment with placeholder runs, for tests of the store's lifecycle and the worker."""

from __future__ import annotations

from sqlalchemy import Engine

from lsat_core.store.engine import session_scope
from lsat_core.store.runs import create_experiment, get_or_create_run


def add_experiment(engine: Engine, strategies: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    """A stored experiment with one pending run per strategy (configs are placeholders)."""
    with session_scope(engine) as session:
        experiment = create_experiment(
            session, name="test", protocol="next-period", config={"strategies": strategies}
        )
        runs = {
            strategy: get_or_create_run(
                session,
                key=f"{strategy}-{experiment.id}",
                experiment_id=experiment.id,
                name=strategy,
                strategy=strategy,
                backbone="tiny",
                protocol="next-period",
                config={"strategy": strategy},
                seed=0,
            ).id
            for strategy in strategies
        }
        return experiment.id, runs
