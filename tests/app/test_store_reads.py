from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from app import store_reads
from lsat_core.store import make_engine, record_period_result, session_scope


@pytest.fixture
def engine(seeded_store) -> Iterator[Engine]:
    engine = make_engine(seeded_store.url)
    yield engine
    engine.dispose()


def test_curves_are_read_once_per_update(engine, seeded_store) -> None:
    with session_scope(engine) as session:
        run_ids = list(
            session.scalars(store_reads.experiment_run_ids(seeded_store.next_experiment_id))
        )
        curves = store_reads.curves_frame(session, run_ids)

    assert curves["run_id"].unique().tolist() == [seeded_store.lsat_en_run_id]
    assert curves["train_period"].tolist() == [1, 2, 3]
    assert curves["coefficient"].tolist() == [0.3, 0.3, 0.3]
    assert len(curves["coefficient_curve"].iloc[0]) == 11


def test_the_results_marker_moves_when_a_result_is_rewritten(private_store) -> None:
    engine = make_engine(private_store.url)
    experiment_runs = store_reads.experiment_run_ids(private_store.next_experiment_id)
    finished_runs = store_reads.finished_stream_run_ids(private_store.stream_id)
    try:
        with session_scope(engine) as session:
            before = store_reads.results_marker(session, experiment_runs)
            # Finished runs of the stream: full_retrain of "next" (15 rows) and both fixed-target
            # runs (15 each); the running and the failed runs do not count.
            assert store_reads.results_marker(session, finished_runs)[0] == 45
        with session_scope(engine) as session:
            record_period_result(
                session,
                run_id=private_store.full_retrain_run_id,
                train_period=1,
                eval_period=2,
                auc=0.9,
                n=1000,
                positives=500,
            )
        with session_scope(engine) as session:
            after = store_reads.results_marker(session, experiment_runs)
    finally:
        engine.dispose()

    assert before[0] == 15 + 3 * 5 + 3  # full_retrain, lsat_en (model, long, short), fine_tune
    assert after[0] == before[0]
    assert after[1] > before[1]


@pytest.mark.postgres
def test_an_experiments_stream_is_read_on_postgresql(postgres_seeded_store) -> None:
    # Streams hold json columns, which PostgreSQL cannot compare: no DISTINCT over their rows.
    engine = make_engine(postgres_seeded_store.url)
    try:
        with session_scope(engine) as session:
            streams = store_reads.streams_of_experiment(
                session, postgres_seeded_store.next_experiment_id
            )
        assert [s.id for s in streams] == [postgres_seeded_store.stream_id]
    finally:
        engine.dispose()
