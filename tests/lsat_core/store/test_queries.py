from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from lsat_core.store import (
    RunStatus,
    create_experiment,
    get_experiment,
    get_run,
    list_experiments,
    record_period_result,
    results_frame,
    session_scope,
)


def test_experiments_are_listed_newest_first(engine: Engine) -> None:
    with session_scope(engine) as session:
        for name in ("first", "second", "third"):
            create_experiment(session, name=name, protocol="next_period", config={"name": name})
    with session_scope(engine) as session:
        assert [e.name for e in list_experiments(session)] == ["third", "second", "first"]
        assert [e.name for e in list_experiments(session, limit=1)] == ["third"]


def test_objects_stay_readable_after_their_session_closed(
    engine: Engine, run_ids: tuple[int, int]
) -> None:
    experiment_id, run_id = run_ids
    with session_scope(engine) as session:
        experiment = get_experiment(session, experiment_id)
        run = get_run(session, run_id)
    assert experiment is not None and experiment.status is RunStatus.PENDING
    assert run is not None and run.config == {"strategy": "fine_tuning", "lr": 1e-3}
    with session_scope(engine) as session:
        assert get_run(session, 999) is None


def test_results_without_curves_are_the_results_less_that_column(engine, run_ids) -> None:
    with session_scope(engine) as session:
        record_period_result(
            session,
            run_id=run_ids[0],
            train_period=1,
            eval_period=2,
            auc=0.7,
            n=10,
            positives=5,
            coefficient=0.3,
            coefficient_curve=[{"coefficient": 0.3, "auc": 0.7}],
        )
    with session_scope(engine) as session:
        full = results_frame(session, run_ids)
        lean = results_frame(session, run_ids, include_curves=False)
    assert full["coefficient_curve"].tolist() == [[{"coefficient": 0.3, "auc": 0.7}]]
    pd.testing.assert_frame_equal(lean, full.drop(columns="coefficient_curve"))
