"""A training task's "finished train" event commits with the ready row (issue 15): a task
stopped in the transaction that marks its model ready leaves neither, so it is never a ready
model without the event, and the task delivered again trains it and reports it once."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_family import FAKE, BytesFamily, fake_workbench
from sqlalchemy import select
from stored_runs import add_experiment

from lsat_core.engine.families import FamilyTrainingResult
from lsat_core.engine.model_specs import ModelSpec
from lsat_core.engine.workbench import Workbench
from lsat_core.store import task_event_texts as texts
from lsat_core.store.engine import make_engine, read_scope
from lsat_core.store.migrate import upgrade
from lsat_core.store.models import Artifact, ArtifactStatus, Event
from worker.jobs import ReportTrained

SPEC = ModelSpec(FAKE, "full", 1)
TASK = "task-1"


class TinyFamily(BytesFamily):
    def train(self, spec, train, val, init, progress, curve) -> FamilyTrainingResult:
        return FamilyTrainingResult(model=b"weights", best_val_auc=0.7, kept_step=0)


class StoppedAfterReporting(Exception):
    """The task stopped after its event was written, before the transaction committed."""


def test_a_task_stopped_while_marking_its_model_ready_leaves_no_event_and_reports_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    experiment_id, _ = add_experiment(engine, ("full_retrain",))

    def task_bench(on_ready) -> Workbench:
        return fake_workbench(
            engine, TinyFamily(), SPEC, tmp_path / "models", TASK, on_ready=on_ready
        )

    def stored() -> tuple[list[str], str]:
        with read_scope(engine) as session:
            messages = list(session.scalars(select(Event.message).where(Event.task_key == TASK)))
            status = session.scalars(select(Artifact.status)).one()
        return messages, status

    first = ReportTrained(experiment_id, TASK, None, seed=0)

    def report_then_stop(session, spec, metrics) -> None:
        first(session, spec, metrics)
        raise StoppedAfterReporting

    with pytest.raises(StoppedAfterReporting):
        task_bench(report_then_stop).model(SPEC)
    assert stored() == ([], ArtifactStatus.TRAINING)

    again = ReportTrained(experiment_id, TASK, None, seed=0)
    assert task_bench(again).model(SPEC).trained_now
    messages, status = stored()
    assert status == ArtifactStatus.READY and again.specs == {SPEC}
    assert [texts.trained_label(m) for m in messages] == [f"{SPEC.label()} seed 0"]

    loaded = ReportTrained(experiment_id, TASK, None, seed=0)
    assert not task_bench(loaded).model(SPEC).trained_now
    assert loaded.specs == set() and stored()[0] == messages
    engine.dispose()
