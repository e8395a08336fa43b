"""A run store seeded once per session, and pages of the dashboard run on it with AppTest.

The seeded numbers are chosen so that the pages' figures can be checked by hand:

- stream "ml-1m", T = 6; period p has 1000 + 100 p samples, 100 + p users, 50 + p items.
- experiment "next" (next-period, running):
  - full_retrain, succeeded: updates t = 1..5 tested on t + 1; AUC on all items 0.70 + 0.01 e
    (interval +-0.02), on warm items 0.72 + 0.01 e, on cold items 0.60; update t trained
    900 t samples in 10 t seconds. Summary over D_4..D_6: mean 0.75, interval +-0.02/sqrt(3).
  - lsat_en, running: updates 1..3, AUC 0.74 + 0.01 e, alpha 0.3 chosen from an 11-point curve
    peaking at 0.3, with long/short parts recorded too. Summary so far: D_4 only, 0.78.
  - fine_tune, failed at update 2 with "CUDA out of memory".
- experiment "fixed" (fixed-target, succeeded): full_retrain and fine_tune models of t = 1..5
  tested on D_6; all items 0.70 + 0.005 t (fine-tuning 0.01 lower), warm items 0.05 higher.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lsat_core.store import (
    EventKind,
    RunStatus,
    Segment,
    create_experiment,
    get_or_create_run,
    get_or_create_stream,
    make_engine,
    record_event,
    record_period_result,
    session_scope,
    set_experiment_status,
    set_run_status,
    temporary_schema,
    update_progress,
    upgrade,
)

APP_DIR = Path(__file__).resolve().parents[2] / "app"
NUM_PERIODS = 6
APP_TIMEOUT_S = 60
"""The first run of a page imports the store and migrates it: slow on a busy 2-core machine."""


@dataclass(frozen=True)
class SeededStore:
    url: str
    data_dir: Path
    stream_id: int
    next_experiment_id: int
    fixed_experiment_id: int
    full_retrain_run_id: int
    lsat_en_run_id: int
    fine_tune_run_id: int


def period_stats(num_periods: int) -> list[dict]:
    rows = []
    for p in range(1, num_periods + 1):
        samples = 1000 + 100 * p
        rows.append(
            {
                "period": p,
                "samples": samples,
                "train": samples * 9 // 10,
                "val": samples - samples * 9 // 10,
                "users": 100 + p,
                "items": 50 + p,
                "positive_rate": 0.5 + 0.01 * p,
                "cold_items": 50 + p if p == 1 else p,
                "cold_item_share": 1.0 if p == 1 else p / (50 + p),
                "cold_sample_share": 1.0 if p == 1 else 0.01 * p,
                "first_timestamp": f"2001-0{p}-01T00:00:00+00:00",
                "last_timestamp": f"2001-0{p}-28T00:00:00+00:00",
            }
        )
    return rows


def alpha_curve(peak: float) -> list[dict]:
    points = [round(0.1 * i, 1) for i in range(11)]
    return [
        {"coefficient": c, "auc": 0.7 - abs(c - peak) / 10, "ci_low": None, "ci_high": None}
        for c in points
    ]


def _record(session: Session, run_id: int, t: int, e: int, aucs: dict[str, float], **cost) -> None:
    counts = {"all": (1000, 500), "warm": (800, 400), "cold": (200, 100)}
    half = {"all": 0.02, "warm": 0.03, "cold": 0.05}
    role = cost.pop("role", "model")
    for segment, auc in aucs.items():
        n, positives = counts[segment]
        record_period_result(
            session,
            run_id=run_id,
            train_period=t,
            eval_period=e,
            role=role,
            segment=Segment(segment),
            auc=auc,
            n=n,
            positives=positives,
            ci_low=auc - half[segment],
            ci_high=auc + half[segment],
            **cost,
        )


def _run(session: Session, experiment_id: int, strategy: str, protocol: str, stream_id: int):
    return get_or_create_run(
        session,
        key=f"{protocol}-{strategy}",
        experiment_id=experiment_id,
        name=strategy,
        strategy=strategy,
        backbone="smollm2-135m",
        protocol=protocol,
        config={"strategy": strategy, "protocol": protocol},
        seed=0,
        stream_id=stream_id,
    )


def _cost(t: int) -> dict:
    return {
        "samples_trained": 900 * t,
        "tokens_trained": 90_000 * t,
        "train_seconds": 10.0 * t,
        "update_latency_seconds": 12.0 * t,
        "device": "cpu",
    }


def seed_store(url: str, data_dir: Path) -> SeededStore:
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            stream = get_or_create_stream(
                session,
                key="stream-key-ml1m",
                dataset="ml-1m",
                config={"dataset": "ml-1m", "num_periods": NUM_PERIODS},
                source_checksum="0" * 64,
                num_periods=NUM_PERIODS,
                period_stats=period_stats(NUM_PERIODS),
            )
            nxt = create_experiment(session, name="next", protocol="next-period", config={})
            full = _run(session, nxt.id, "full_retrain", "next-period", stream.id)
            lsat = _run(session, nxt.id, "lsat_en", "next-period", stream.id)
            fine = _run(session, nxt.id, "fine_tune", "next-period", stream.id)
            fixed = create_experiment(session, name="fixed", protocol="fixed-target", config={})
            fixed_runs = {
                s: _run(session, fixed.id, s, "fixed-target", stream.id)
                for s in ("full_retrain", "fine_tune")
            }
            stream_id, run_ids = stream.id, (full.id, lsat.id, fine.id)
            experiment_ids = (nxt.id, fixed.id)
        with session_scope(engine) as session:
            _seed_next_period(session, nxt.id, full.id, lsat.id, fine.id)
            _seed_fixed_target(session, fixed.id, {s: r.id for s, r in fixed_runs.items()})
    finally:
        engine.dispose()
    return SeededStore(url, data_dir, stream_id, *experiment_ids, *run_ids)


def _seed_next_period(session: Session, experiment_id: int, full: int, lsat: int, fine: int):
    set_experiment_status(session, experiment_id, RunStatus.RUNNING)
    for run_id in (full, lsat, fine):
        set_run_status(session, run_id, RunStatus.RUNNING, device="cpu")
    for t in range(1, NUM_PERIODS):
        e = t + 1
        aucs = {"all": 0.70 + 0.01 * e, "warm": 0.72 + 0.01 * e, "cold": 0.60}
        _record(session, full, t, e, aucs, **_cost(t))
    set_run_status(session, full, RunStatus.SUCCEEDED)
    for t in range(1, 4):
        e = t + 1
        _record(
            session,
            lsat,
            t,
            e,
            {"all": 0.74 + 0.01 * e, "warm": 0.75, "cold": 0.65},
            coefficient=0.3,
            coefficient_curve=alpha_curve(0.3),
            **_cost(t),
        )
        for role, auc in (("long", 0.72), ("short", 0.73)):
            _record(session, lsat, t, e, {"all": auc}, role=role, **_cost(t))
    _record(session, fine, 1, 2, {"all": 0.71, "warm": 0.72, "cold": 0.55}, **_cost(1))
    set_run_status(session, fine, RunStatus.FAILED, error="RuntimeError: CUDA out of memory")
    update_progress(
        session,
        f"run:{lsat}:period:4:train",
        30,
        120,
        eta_seconds=95.0,
        message="training LoRA",
        run_id=lsat,
        experiment_id=experiment_id,
    )
    update_progress(session, f"run:{full}:period:5:train", 10, 10, run_id=full)
    record_event(session, "experiment started", run_id=None, experiment_id=experiment_id)
    record_event(
        session,
        "RuntimeError: CUDA out of memory",
        kind=EventKind.ERROR,
        run_id=fine,
        experiment_id=experiment_id,
    )


def _seed_fixed_target(session: Session, experiment_id: int, runs: dict[str, int]) -> None:
    set_experiment_status(session, experiment_id, RunStatus.RUNNING)
    for strategy, run_id in runs.items():
        set_run_status(session, run_id, RunStatus.RUNNING)
        offset = 0.0 if strategy == "full_retrain" else -0.01
        for t in range(1, NUM_PERIODS):
            auc = 0.70 + 0.005 * t + offset
            aucs = {"all": auc, "warm": auc + 0.05, "cold": 0.55}
            _record(session, run_id, t, NUM_PERIODS, aucs, **_cost(t))
        set_run_status(session, run_id, RunStatus.SUCCEEDED)
    set_experiment_status(session, experiment_id, RunStatus.SUCCEEDED)


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> SeededStore:
    data_dir = tmp_path_factory.mktemp("dashboard")
    return seed_store(f"sqlite:///{data_dir / 'lsat.db'}", data_dir)


@pytest.fixture
def private_store(tmp_path: Path) -> SeededStore:
    """A seeded store of the test's own, for tests that write to it."""
    return seed_store(f"sqlite:///{tmp_path / 'lsat.db'}", tmp_path)


@pytest.fixture
def postgres_seeded_store(tmp_path: Path, postgres_url: str) -> Iterator[SeededStore]:
    """The same seeded store in a temporary PostgreSQL schema (the dashboard's reads must work
    on both backends)."""
    with temporary_schema(postgres_url) as url:
        yield seed_store(url, tmp_path)


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    """Streamlit's caches are per process: each test starts (and leaves) them empty."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def served_on_loopback() -> Iterator[None]:
    """The Launch page is offered to sessions that may launch: a dashboard on loopback."""
    before = st.get_option("server.address")
    st.config.set_option("server.address", "127.0.0.1")
    yield
    st.config.set_option("server.address", before)


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[dict[str, Any], str]]:
    """Experiments the page sends to the queue (config, name); the fake queue answers id 42."""
    calls: list[tuple[dict[str, Any], str]] = []

    def submit(settings, config, name):
        calls.append((config, name))
        return 42

    monkeypatch.setattr("worker.queue_client.submit_experiment", submit)
    return calls


@pytest.fixture
def app_env(
    seeded_store: SeededStore, monkeypatch: pytest.MonkeyPatch, fresh_caches: None
) -> SeededStore:
    """The dashboard's settings point at the seeded store."""
    monkeypatch.setenv("LSAT_DATA_DIR", str(seeded_store.data_dir))
    monkeypatch.setenv("LSAT_DATABASE_URL", seeded_store.url)
    return seeded_store


@pytest.fixture
def private_app_env(
    private_store: SeededStore, monkeypatch: pytest.MonkeyPatch, fresh_caches: None
) -> SeededStore:
    """The dashboard's settings point at the test's own store, which the test may write to."""
    monkeypatch.setenv("LSAT_DATA_DIR", str(private_store.data_dir))
    monkeypatch.setenv("LSAT_DATABASE_URL", private_store.url)
    return private_store


@pytest.fixture
def app_dir() -> Path:
    return APP_DIR


PageRunner = Callable[..., AppTest]


@pytest.fixture
def run_page(app_env: SeededStore) -> PageRunner:
    """Runs one page file of app/views (e.g. "compare.py") once, with URL parameters."""

    def run(page: str, **query_params: int) -> AppTest:
        app = AppTest.from_file(APP_DIR / "views" / page, default_timeout=APP_TIMEOUT_S)
        app.query_params.update({name: str(value) for name, value in query_params.items()})
        return app.run()

    return run


def _chart_frames(app: AppTest) -> list[pd.DataFrame]:
    """The data of every Altair chart on the page, in page order (one dataset per chart)."""
    frames = []
    for chart in app.get("vega_lite_chart"):
        (dataset,) = chart.proto.datasets
        frames.append(pa.ipc.open_stream(dataset.data.data).read_pandas())
    return frames


@pytest.fixture
def chart_frames() -> Callable[[AppTest], list[pd.DataFrame]]:
    return _chart_frames


@pytest.fixture
def download_names() -> Callable[[AppTest], list[str]]:
    """The file keys of the page's CSV download buttons (their widget keys), in page order."""

    def names(app: AppTest) -> list[str]:
        return [
            button.proto.id.rsplit("-csv_", 1)[1]
            for button in app.download_button
            if "-csv_" in button.proto.id
        ]

    return names
