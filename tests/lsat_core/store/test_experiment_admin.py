from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from lsat_core.errors import InputError
from lsat_core.store import session_scope
from lsat_core.store.artifacts import claim_artifact, complete_artifact
from lsat_core.store.events import record_event
from lsat_core.store.experiment_admin import (
    add_tags,
    delete_experiment,
    normalized_tags,
    remove_model_folders,
    remove_tags,
    run_labels_by_experiment,
    set_archived,
    set_note,
    set_tags,
    tags_by_experiment,
)
from lsat_core.store.lifecycle import set_experiment_status
from lsat_core.store.models import (
    Artifact,
    Event,
    Experiment,
    PeriodResult,
    PredictionSet,
    Run,
    RunStatus,
)
from lsat_core.store.predictions import record_predictions
from lsat_core.store.results import record_period_result
from lsat_core.store.runs import create_experiment, get_or_create_run, get_or_create_stream


def test_tags_are_normalised_kept_once_and_removed(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="a", protocol="p", config={}).id
        assert add_tags(session, experiment_id, [" Paper ", "ml-1m", "paper"]) == ("ml-1m", "paper")
        assert add_tags(session, experiment_id, ["paper", "v2"]) == ("ml-1m", "paper", "v2")
        assert remove_tags(session, experiment_id, ["ml-1m", "absent"]) == ("paper", "v2")
        assert set_tags(session, experiment_id, ["final"]) == ("final",)
    with session_scope(engine) as session:
        assert tags_by_experiment(session) == {experiment_id: ("final",)}


@pytest.mark.parametrize("bad", ["", "two words", "-dash-first", "x" * 65, "é"])
def test_a_bad_tag_is_refused_naming_it(bad: str) -> None:
    with pytest.raises(InputError, match=r"^tag: .* is not a tag"):
        normalized_tags(["ok", bad])


def test_unknown_experiment_is_a_clear_error(engine: Engine) -> None:
    with session_scope(engine) as session, pytest.raises(InputError, match="no experiment #99"):
        add_tags(session, 99, ["x"])


def test_note_is_set_cleared_and_bounded(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="a", protocol="p", config={}).id
        assert set_note(session, experiment_id, "  lr too high?  ") == "lr too high?"
        assert session.get_one(Experiment, experiment_id).note == "lr too high?"
        assert set_note(session, experiment_id, "   ") is None
        with pytest.raises(InputError, match=r"^note: 10,001 characters"):
            set_note(session, experiment_id, "x" * 10_001)


def test_archive_and_unarchive(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="a", protocol="p", config={}).id
        first = set_archived(session, experiment_id, True).archived_at
        assert first is not None
        assert set_archived(session, experiment_id, True).archived_at == first
        assert set_archived(session, experiment_id, False).archived_at is None


def _stream(session, key: str) -> int:
    return get_or_create_stream(
        session,
        key=key,
        dataset="d",
        config={"k": key},
        source_checksum="c",
        num_periods=3,
        period_stats=[],
    ).id


def _experiment(session, name: str, stream_id: int, run_keys: list[str]) -> tuple[int, list[int]]:
    experiment_id = create_experiment(session, name=name, protocol="next_period", config={}).id
    runs = [
        get_or_create_run(
            session,
            key=key,
            experiment_id=experiment_id,
            name=key,
            strategy=key,
            backbone="tiny",
            protocol="next_period",
            config={"k": key},
            seed=0,
            stream_id=stream_id,
        ).id
        for key in run_keys
    ]
    set_experiment_status(session, experiment_id, RunStatus.RUNNING)
    set_experiment_status(session, experiment_id, RunStatus.SUCCEEDED)
    return experiment_id, runs


def _model(session, key: str, experiment_id: int, path: str) -> None:
    owner = f"celery-task:e{experiment_id}-train-lora-short-1"
    claim_artifact(session, key, owner, kind="lora", config={"spec": key})
    complete_artifact(session, key, owner, path=path, sha256="s", metrics={})


def _result_and_predictions(session, run_id: int) -> None:
    record_period_result(
        session,
        run_id=run_id,
        train_period=1,
        eval_period=2,
        role="model",
        segment="all",
        auc=0.7,
        n=2,
        positives=1,
    )
    frame = pd.DataFrame(
        {"sample_id": [1, 2], "user": "u", "item": ["a", "b"], "label": [0, 1]}
    ).assign(warm=True, score=[0.1, 0.9])
    record_predictions(session, run_id=run_id, train_period=1, eval_period=2, frame=frame)


def test_delete_removes_what_only_it_uses(engine: Engine) -> None:
    with session_scope(engine) as session:
        mine, other = _stream(session, "s1"), _stream(session, "s2")
        gone, (own_run,) = _experiment(session, "gone", mine, ["own"])
        kept, (other_run,) = _experiment(session, "kept", other, ["elsewhere"])
        for run_id in (own_run, other_run):
            _result_and_predictions(session, run_id)
        record_event(session, "hello", experiment_id=gone, run_id=own_run)
        add_tags(session, gone, ["old"])
        _model(session, "m-gone", gone, "/models/m-gone")
        _model(session, "m-kept", kept, "/models/m-kept")
    with session_scope(engine) as session:
        deletion = delete_experiment(session, gone)
    assert (deletion.runs_deleted, deletion.runs_kept) == ((own_run,), ())
    assert deletion.models_deleted == ("m-gone",)
    assert deletion.model_folders == ("/models/m-gone",)
    with session_scope(engine) as session:
        assert session.get(Experiment, gone) is None
        assert session.get(Run, own_run) is None
        assert _count(session, PeriodResult, PeriodResult.run_id == own_run) == 0
        assert _count(session, PredictionSet, PredictionSet.run_id == own_run) == 0
        assert _count(session, PeriodResult, PeriodResult.run_id == other_run) == 1
        assert _count(session, Event) == 0
        assert set(session.scalars(select(Artifact.key))) == {"m-kept"}
        assert tags_by_experiment(session) == {}
        assert set(run_labels_by_experiment(session)) == {kept}


def test_a_shared_run_and_the_models_of_its_stream_stay(engine: Engine) -> None:
    with session_scope(engine) as session:
        stream = _stream(session, "s1")
        gone, (own_run, shared_run) = _experiment(session, "gone", stream, ["own", "shared"])
        kept, _ = _experiment(session, "kept", stream, ["shared", "b"])
        _result_and_predictions(session, shared_run)
        _model(session, "m-gone", gone, "/models/m-gone")
    with session_scope(engine) as session:
        deletion = delete_experiment(session, gone)
    assert (deletion.runs_deleted, deletion.runs_kept) == ((own_run,), (shared_run,))
    assert deletion.models_deleted == ()
    with session_scope(engine) as session:
        assert set(session.scalars(select(Artifact.key))) == {"m-gone"}
        assert _count(session, PeriodResult, PeriodResult.run_id == shared_run) == 1
        assert run_labels_by_experiment(session)[kept].strategies == ("b", "shared")


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_an_active_experiment_is_not_deleted(engine: Engine) -> None:
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="a", protocol="p", config={}).id
        with pytest.raises(InputError, match="is pending: cancel it first"):
            delete_experiment(session, experiment_id)


def test_removing_a_model_folder_takes_its_empty_key_folder_and_nothing_outside(
    tmp_path: Path,
) -> None:
    artifacts = tmp_path / "artifacts"
    content = artifacts / "models" / "lora-abc" / "0123456789abcdef"
    content.mkdir(parents=True)
    (content / "adapter.safetensors").write_bytes(b"weights")
    shared = artifacts / "models" / "mf-def" / "fedcba9876543210"
    shared.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    removed = remove_model_folders([str(content), str(outside)], artifacts)

    assert removed == [content.resolve()]
    assert not (artifacts / "models" / "lora-abc").exists()
    assert shared.is_dir() and outside.is_dir()
