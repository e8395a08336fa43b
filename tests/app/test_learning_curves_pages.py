"""The monitor charts the learning curves of the experiment's models, the compare page overlays
one kind of model's curves across experiments (issue 12 item 4)."""

from __future__ import annotations

import pyarrow as pa
from streamlit.testing.v1 import AppTest

from lsat_core.curve_points import CurveKind, CurvePoint
from lsat_core.store import (
    claim_artifact,
    create_experiment,
    get_or_create_run,
    make_engine,
    session_scope,
)
from lsat_core.store.learning_curves import CurveModel, add_points, finish_curve, start_curve

LOSS, AUC = CurveKind.TRAIN_LOSS, CurveKind.VAL_AUC


def _plant_curve(session, key: str, experiment_id: int, period: int, finished: bool) -> None:
    claim_artifact(session, key, "owner", kind="lora", config={})
    start_curve(
        session,
        CurveModel(key, f"lora:fine_tune@{period}", "lora", "fine_tune", period, experiment_id),
    )
    aucs = (0.60, 0.66, 0.64)
    points = [CurvePoint(LOSS, s, 32 * s, 1.0 / s) for s in (1, 2, 3)]
    points += [
        CurvePoint(AUC, s, 32 * s, a, a == max(aucs)) for s, a in zip((1, 2, 3), aucs, strict=True)
    ]
    add_points(session, key, points)
    if finished:
        finish_curve(session, key, best_step=2)


def _plant(env) -> int:
    """Curves for the 'next' experiment (t=1 trained, t=2 training) and for a second
    next-period experiment (t=1); returns the second's id."""
    engine = make_engine(env.url)
    with session_scope(engine) as session:
        _plant_curve(session, "lora-t1", env.next_experiment_id, 1, finished=True)
        _plant_curve(session, "lora-t2", env.next_experiment_id, 2, finished=False)
        again = create_experiment(session, name="next again", protocol="next-period", config={})
        get_or_create_run(  # the seeded store's full_retrain run, shared by both
            session,
            key="next-period-full_retrain",
            experiment_id=again.id,
            name="full_retrain",
            strategy="full_retrain",
            backbone="smollm2-135m",
            protocol="next-period",
            config={"strategy": "full_retrain", "protocol": "next-period"},
            seed=0,
            stream_id=env.stream_id,
        )
        _plant_curve(session, "lora-t1-again", again.id, 1, finished=True)
        again_id = again.id
    engine.dispose()
    return again_id


def _curve_frames(app: AppTest):
    """The data of the learning-curve charts on the page (those with a `series` column)."""
    frames = []
    for chart in app.get("vega_lite_chart"):
        for dataset in chart.proto.datasets:
            frame = pa.ipc.open_stream(dataset.data.data).read_pandas()
            if "series" in frame:
                frames.append(frame)
    return frames


def test_the_monitor_charts_each_model_with_the_kept_checkpoint(private_app_env, app_dir) -> None:
    _plant(private_app_env)
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(private_app_env.next_experiment_id)
    app.run()

    assert not app.exception
    (curves,) = _curve_frames(app)
    assert sorted(set(curves["series"])) == ["t=1", "t=2 (training)"]
    assert len(curves) == 2 * 6
    best = curves[curves["is_best"]]
    assert list(zip(best["series"], best["step"], best["value"], strict=True)) == [
        ("t=1", 2, 0.66),
        ("t=2 (training)", 2, 0.66),  # the best so far, while it trains
    ]
    captions = [c.value for c in app.caption]
    assert "t=1: kept step 2 (AUC 0.6600); t=2: training, step 3" in captions


def test_the_compare_page_overlays_one_model_kind_across_experiments(
    private_app_env, app_dir
) -> None:
    again = _plant(private_app_env)
    app = AppTest.from_file(app_dir / "views" / "compare.py", default_timeout=60)
    app.query_params["experiments"] = f"{private_app_env.next_experiment_id},{again}"
    app.run()
    app.selectbox(key="compare_curves_period").set_value(1).run()

    assert not app.exception
    (curves,) = _curve_frames(app)
    assert set(curves["series"]) == {f"#{again} t=1", f"#{private_app_env.next_experiment_id} t=1"}
    assert set(curves["model_key"]) == {"lora-t1", "lora-t1-again"}
    assert f"#{private_app_env.next_experiment_id}: next; #{again}: next again" in [
        c.value for c in app.caption
    ]


def test_every_model_line_has_a_legend_entry_of_its_own(private_app_env, app_dir) -> None:
    # The browser run's legend cut '#1 quick next-period popularity,logreg,... t=1' and '... t=2'
    # to the same 'pop...': the entry now leads with what tells lines apart. Two seeds train two
    # models of one kind and period: each keeps its own entry, by its key's hash.
    env = private_app_env
    engine = make_engine(env.url)
    with session_scope(engine) as session:
        long_name = "quick next-period " + ",".join(["full_retrain", "fine_tune"] * 8)
        seeds = create_experiment(session, name=long_name, protocol="next-period", config={})
        _plant_curve(session, "lora-t1-aaaaaaaa", seeds.id, 1, finished=True)
        _plant_curve(session, "lora-t1-bbbbbbbb", seeds.id, 1, finished=True)
        _plant_curve(session, "lora-t2-cccccccc", seeds.id, 2, finished=True)
        seeds_id = seeds.id
    engine.dispose()
    app = AppTest.from_file(app_dir / "views" / "compare.py", default_timeout=60)
    app.query_params["experiments"] = f"{env.next_experiment_id},{seeds_id}"
    app.run()

    assert not app.exception
    (curves,) = _curve_frames(app)
    lines = curves.groupby("model_key")["series"].unique()
    assert lines.map(len).eq(1).all()
    assert lines.str[0].is_unique
    assert set(lines.str[0]) == {
        f"#{seeds_id} t=1 · aaaaaa",
        f"#{seeds_id} t=1 · bbbbbb",
        f"#{seeds_id} t=2",
    }
    assert any(f"#{seeds_id}: {long_name}" in c.value for c in app.caption)


def test_a_curve_an_ended_experiment_left_unfinished_reads_stopped(
    private_app_env, app_dir
) -> None:
    engine = make_engine(private_app_env.url)
    with session_scope(engine) as session:  # the fixed experiment has succeeded
        _plant_curve(session, "lora-t1", private_app_env.fixed_experiment_id, 1, finished=False)
    engine.dispose()
    app = AppTest.from_file(app_dir / "views" / "monitor.py", default_timeout=60)
    app.query_params["experiment"] = str(private_app_env.fixed_experiment_id)
    app.run()

    (curves,) = _curve_frames(app)
    assert set(curves["series"]) == {"t=1 (stopped)"}
    assert "t=1: stopped, step 3" in [c.value for c in app.caption]
