from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from lsat_core.errors import InputError
from lsat_core.store import make_engine, session_scope, upgrade
from lsat_core.store.artifacts import claim_artifact, complete_artifact
from lsat_core.store.experiment_admin import tags_by_experiment
from lsat_core.store.lifecycle import set_experiment_status
from lsat_core.store.models import Experiment, RunStatus
from lsat_core.store.runs import create_experiment, get_or_create_run, get_or_create_stream


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LSAT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LSAT_DATABASE_URL", raising=False)
    upgrade(f"sqlite:///{tmp_path / 'lsat.db'}")
    return tmp_path


def _engine(data_dir: Path):
    return make_engine(f"sqlite:///{data_dir / 'lsat.db'}")


def _finished_experiment(data_dir: Path, model_folder: Path) -> int:
    engine = _engine(data_dir)
    with session_scope(engine) as session:
        stream = get_or_create_stream(
            session,
            key="s",
            dataset="d",
            config={},
            source_checksum="c",
            num_periods=3,
            period_stats=[],
        )
        experiment_id = create_experiment(session, name="e", protocol="next_period", config={}).id
        get_or_create_run(
            session,
            key="r",
            experiment_id=experiment_id,
            name="r",
            strategy="fine_tuning",
            backbone="tiny",
            protocol="next_period",
            config={},
            seed=0,
            stream_id=stream.id,
        )
        owner = f"celery-task:e{experiment_id}-train-lora-short-1"
        claim_artifact(session, "m", owner, kind="lora", config={})
        complete_artifact(session, "m", owner, path=str(model_folder), sha256="s", metrics={})
        set_experiment_status(session, experiment_id, RunStatus.RUNNING)
        set_experiment_status(session, experiment_id, RunStatus.SUCCEEDED)
    engine.dispose()
    return experiment_id


def test_tag_note_and_archive(data_dir: Path) -> None:
    engine = _engine(data_dir)
    with session_scope(engine) as session:
        experiment_id = create_experiment(session, name="e", protocol="p", config={}).id
    runner = CliRunner()
    tagged = runner.invoke(app, ["tag", str(experiment_id), "Paper", "v1"])
    assert tagged.exit_code == 0, tagged.output
    assert "tags paper, v1" in tagged.output
    untagged = runner.invoke(app, ["tag", str(experiment_id), "v1", "--remove"])
    assert "tags paper" in untagged.output
    assert runner.invoke(app, ["note", str(experiment_id), "seed 2 diverged"]).exit_code == 0
    assert runner.invoke(app, ["archive", str(experiment_id)]).exit_code == 0
    with session_scope(engine) as session:
        row = session.get_one(Experiment, experiment_id)
        assert (row.note, row.archived_at is not None) == ("seed 2 diverged", True)
        assert tags_by_experiment(session) == {experiment_id: ("paper",)}
    assert runner.invoke(app, ["archive", str(experiment_id), "--undo"]).exit_code == 0
    with session_scope(engine) as session:
        assert session.get_one(Experiment, experiment_id).archived_at is None
    engine.dispose()


def test_a_bad_tag_is_one_clear_error(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["tag", "1", "two words"])
    assert isinstance(result.exception, InputError)
    assert str(result.exception).startswith("tag: 'two words' is not a tag")


def test_delete_asks_then_removes_the_experiment_and_its_model_folder(data_dir: Path) -> None:
    folder = data_dir / "artifacts" / "models" / "m"
    folder.mkdir(parents=True)
    (folder / "weights.bin").write_bytes(b"w")
    experiment_id = _finished_experiment(data_dir, folder)
    runner = CliRunner()
    refused = runner.invoke(app, ["delete", str(experiment_id)], input="n\n")
    assert refused.exit_code == 1 and folder.is_dir()
    result = runner.invoke(app, ["delete", str(experiment_id)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "1 runs, 1 models (1 folders removed)" in result.output
    assert not folder.exists()
    engine = _engine(data_dir)
    with session_scope(engine) as session:
        assert session.get(Experiment, experiment_id) is None
    engine.dispose()


def test_a_stored_path_outside_the_artifacts_folder_is_never_removed(data_dir: Path) -> None:
    outside = data_dir.parent / "outside-models"
    outside.mkdir(exist_ok=True)
    experiment_id = _finished_experiment(data_dir, outside)
    result = CliRunner().invoke(app, ["delete", str(experiment_id), "--yes"])
    assert result.exit_code == 0, result.output
    assert "(0 folders removed)" in result.output and outside.is_dir()
