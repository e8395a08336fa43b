from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pandas as pd
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect, text

from lsat_core.store import (
    current_revision,
    get_or_create_run,
    head_revision,
    make_engine,
    results_frame,
    session_scope,
    upgrade,
)
from lsat_core.store.migrate import alembic_config
from lsat_core.store.models import Base
from lsat_core.store.predictions import predictions_frame, record_predictions

TABLES = {
    "alembic_version",
    "artifacts",
    "events",
    "experiment_runs",
    "experiment_tags",
    "experiments",
    "period_results",
    "prediction_sets",
    "progress",
    "runs",
    "streams",
    "training_curve_points",
    "training_curves",
}


def _differences(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_creates_every_table_at_head_and_is_idempotent(store_url: str) -> None:
    assert current_revision(store_url) is None
    upgrade(store_url)
    upgrade(store_url)
    assert current_revision(store_url) == head_revision() == "0004"
    engine = make_engine(store_url)
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


def test_migrations_build_exactly_what_the_models_declare(engine: Engine) -> None:
    assert _differences(engine, Base.metadata) == []


def test_a_model_change_without_a_migration_is_detected(engine: Engine) -> None:
    # The comparison above must be able to fail: a column the migrations lack shows up.
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    Table("runs", changed, Column("priority", Integer), extend_existing=True)
    differences = _differences(engine, changed)
    assert [(kind, column.name) for kind, _, _, column in differences] == [
        ("add_column", "priority")
    ]


def test_downgrade_to_base_removes_every_table(engine: Engine, store_url: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(store_url)
    assert current_revision(store_url) == head_revision()


def test_processes_starting_together_can_all_upgrade(store_url: str) -> None:
    # Each opens the new file and switches it to WAL: all but one find it locked at first.
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(upgrade, [store_url] * 6))
    assert current_revision(store_url) == head_revision()


def test_a_0001_store_with_results_keeps_them_and_gains_predictions(store_url: str) -> None:
    upgrade(store_url, "0001")
    engine = make_engine(store_url)
    with session_scope(engine) as session:
        # The 0001 columns only: today's model would write the 0003 ones too.
        experiment_id = session.execute(
            text(
                "INSERT INTO experiments (name, protocol, status, config, created_at)"
                " VALUES ('old', 'next_period', 'pending', '{}', :now) RETURNING id"
            ),
            {"now": datetime.now(UTC)},
        ).scalar_one()
        run_id = get_or_create_run(
            session,
            key="old-run",
            experiment_id=experiment_id,
            name="Fine-tuning",
            strategy="fine_tuning",
            backbone="b",
            protocol="next_period",
            config={},
            seed=0,
        ).id
        # The 0001 columns only: today's model would write uauc too.
        session.execute(
            text(
                "INSERT INTO period_results (run_id, train_period, eval_period, role, segment,"
                " auc, n, positives, created_at, updated_at)"
                " VALUES (:run, 1, 2, 'model', 'all', 0.71, 10, 4, :now, :now)"
            ),
            {"run": run_id, "now": datetime.now(UTC)},
        )
    upgrade(store_url)
    samples = pd.DataFrame(
        {"sample_id": [7, 8], "user": "u", "item": ["a", "b"], "label": [0, 1]}
    ).assign(warm=True, score=[0.2, 0.9])
    with session_scope(engine) as session:
        record_predictions(session, run_id=run_id, train_period=1, eval_period=2, frame=samples)
    with session_scope(engine) as session:
        results = results_frame(session, [run_id])
        predictions = predictions_frame(session, [run_id])
    engine.dispose()
    assert results[["auc", "n"]].to_dict("records") == [{"auc": 0.71, "n": 10}]
    assert results["uauc"].isna().all() and results["uauc_users"].isna().all()
    assert predictions["sample_id"].tolist() == [7, 8]
