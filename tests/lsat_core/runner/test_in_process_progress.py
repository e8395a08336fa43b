"""An in-process run (`lsat run`) reports its tasks' progress to the store as a worker's tasks do,
so the run monitor shows it (issue 12: it said "No task is running" all along)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ml1m_data_dir import ml1m_settings
from tiny_llm import tiny_experiment

from lsat_core.evaluation.protocols import EvalStep
from lsat_core.runner.in_process import run_experiment
from lsat_core.runner.in_process_progress import InProcessProgress
from lsat_core.store import create_experiment, make_engine, session_scope, upgrade
from lsat_core.store.progress_timing import ProgressTiming
from lsat_core.store.queries import list_progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _messages(engine) -> set[str]:
    with session_scope(engine) as session:
        return {p.message for p in list_progress(session)}


def _rows(engine, experiment_id: int) -> dict[str, tuple]:
    with session_scope(engine) as session:
        return {
            p.task_key: (p.step, p.total, p.eta_seconds, p.message)
            for p in list_progress(session, experiment_id=experiment_id)
        }


def test_each_task_has_its_row_and_one_ended_reads_done(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lsat.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="e", protocol="next-period", config={}).id
    clock = FakeClock()
    terminal: list[tuple[str, int, int]] = []
    reporter = InProcessProgress(
        engine,
        experiment_id,
        planned_updates=4,
        also=lambda *report: terminal.append(report),
        timing=ProgressTiming(interval=2.0, clock=clock),
        updates_timing=ProgressTiming(interval=0.0, clock=clock),
    )
    first, second, updates = (f"in-process:{experiment_id}:{n}" for n in (1, 2, "updates"))

    reporter.start()
    reporter("train lora:full@2", 1, 10)
    clock.now += 4.0
    reporter("train lora:full@2", 5, 10)  # 4 s for 4 steps: 5 s left
    assert _rows(engine, experiment_id)[first] == (5, 10, pytest.approx(5.0), "train lora:full@2")
    clock.now += 1.0
    reporter("train lora:short@2", 1, 8)  # the first training stopped early: it is done
    rows = _rows(engine, experiment_id)
    assert rows[first][:2] == (10, 10)
    assert rows[second] == (1, 8, None, "train lora:short@2")
    assert rows[updates] == (0, 4, None, "no update done yet")

    clock.now += 5.0
    reporter.step_done("lsat_en", EvalStep(train_period=2, eval_periods=(3,)))  # 10 s an update
    rows = _rows(engine, experiment_id)
    assert rows[second][:2] == (8, 8)
    assert rows[updates] == (1, 4, pytest.approx(30.0), "updated and tested lsat_en at t=2")
    # The terminal's bars see every report, written or not.
    assert terminal == [
        ("train lora:full@2", 1, 10),
        ("train lora:full@2", 5, 10),
        ("train lora:short@2", 1, 8),
    ]
    engine.dispose()


def test_lsat_run_writes_its_trainings_and_updates_while_it_works(
    tmp_path: Path, ml1m_cache: Path, tiny_model_dir: Path
) -> None:
    settings = ml1m_settings(tmp_path, ml1m_cache)
    config = tiny_experiment(tiny_model_dir, ("short_term",))
    engine = make_engine(settings.database_url)
    seen: dict[str, set[str]] = {"while working": set(), "after an update": set()}
    reported: set[str] = set()

    def progress(what: str, done: int, total: int) -> None:
        reported.add(what)
        with session_scope(engine) as session:
            seen["while working"] |= {p.message for p in list_progress(session)}

    def on_step(run_name: str, step: EvalStep) -> None:
        with session_scope(engine) as session:
            seen["after an update"] |= {p.message for p in list_progress(session)}

    stored, prepared = run_experiment(
        config, settings, name="watched", progress=progress, on_step=on_step
    )

    assert {"train lora:short@2", "no update done yet"} <= seen["while working"]
    # Evaluations report their scoring batches too (issue 12 item 5), each scoring a task row:
    # short_term serves one LoRA, scored on D_3's test samples at t = 2.
    scorings = {what for what in reported if what.startswith("score ")}
    assert any(what.startswith("score lora:short@2 on p3-test") for what in scorings)
    assert scorings <= seen["while working"] | seen["after an update"] | _messages(engine)
    assert "updated and tested short_term at t=2" in seen["after an update"]
    rows = _rows(stored, prepared.experiment_id)
    # short_term updates at t = 2 and 3; every task ended, so the monitor shows none running.
    assert rows[f"in-process:{prepared.experiment_id}:updates"][:2] == (2, 2)
    assert all(step == total for step, total, _, _ in rows.values())
    assert {message for *_, message in rows.values()} >= {
        "train lora:short@2",
        "train lora:short@3",
    }
    stored.dispose()
    engine.dispose()
