"""An experiment's plan as a Celery canvas: lineages sent from their first model, each model
linking to the models continuing it and to its evaluations, one task per shared model, queues,
and it can be sent without a result backend."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from celery import group

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.model_specs import LORA, SHORT, ModelSpec
from lsat_core.runner.work_plan import plan_work
from worker.canvas import build_canvas, spec_from_json
from worker.names import EVALUATE_STEP, TRAIN_MODEL
from worker.queue_client import client_app

STRATEGIES = ("fine_tune", "lsat_en", "mf:fine_tune", "in_context")
RUN_IDS = {"fine_tune": 11, "lsat_en": 12, "mf:fine_tune": 13, "in_context": 14}


@pytest.fixture
def plan():
    config = ExperimentConfig(strategies=STRATEGIES, long_term_period=2, update_periods=(2, 3))
    return plan_work(config, RUN_IDS)


def _members(canvas):
    assert isinstance(canvas.signature, group)
    return list(canvas.signature.tasks)


def _train(signature):
    """(family, role, period) of a train task of seed 0."""
    data = signature.args[1]
    assert data["seed"] == 0
    return data["family"], data["role"], data["period"]


def _linked(signature, task):
    return [link for link in signature.options.get("link", []) if link["task"] == task]


def _all_trains(signatures):
    """Every train task sent from `signatures`, those linked by a train task included."""
    found = {}
    for signature in signatures:
        if signature.task == TRAIN_MODEL:
            found[_train(signature)] = signature
            found |= _all_trains(_linked(signature, TRAIN_MODEL))
    return found


def test_lineages_start_in_one_group_and_models_link_to_their_successors_and_evaluations(
    settings, plan
):
    canvas = build_canvas(client_app(settings), 7, [plan], gpu_worker_present=True)
    members = _members(canvas)
    # The two in-context evaluations need no model: they are sent directly.
    direct = [m for m in members if m.task == EVALUATE_STEP]
    assert sorted(m.args for m in direct) == [(7, 14, 2), (7, 14, 3)]
    firsts = [m for m in members if m.task == TRAIN_MODEL]
    assert [_train(s) for s in firsts] == [
        ("lora", "fine_tune", 1),
        ("mf", "fine_tune", 1),
        ("lora", "full", 2),
        ("lora", "short", 2),
        ("lora", "short", 3),
    ]
    trains = _all_trains(firsts)
    # Fine-tuning at t is sent by the task of t - 1 once it is trained.
    successors = {
        spec: [_train(s) for s in _linked(sig, TRAIN_MODEL)] for spec, sig in trains.items()
    }
    assert successors[("lora", "fine_tune", 1)] == [("lora", "fine_tune", 2)]
    assert successors[("lora", "fine_tune", 2)] == [("lora", "fine_tune", 3)]
    assert successors[("mf", "fine_tune", 2)] == [("mf", "fine_tune", 3)]
    assert successors[("lora", "fine_tune", 3)] == successors[("lora", "full", 2)] == []

    links = {
        spec: sorted(tuple(link["args"]) for link in _linked(sig, EVALUATE_STEP))
        for spec, sig in trains.items()
    }
    assert links[("lora", "fine_tune", 1)] == []  # fine-tuning is evaluated from t = 2
    assert links[("lora", "fine_tune", 3)] == [(7, 11, 3)]
    assert links[("lora", "full", 2)] == [(7, 12, 2), (7, 12, 3)]  # long-term LoRA for both t
    assert links[("lora", "short", 3)] == [(7, 12, 3)]
    assert links[("mf", "fine_tune", 2)] == [(7, 13, 2)]
    for sig in trains.values():
        # Immutable: a callback must not receive the model task's return value as an argument.
        assert all(link["immutable"] for link in sig.options.get("link", []))
        assert sig.args[1]["also"] == []  # no two of these specs share a model

    queues = {_train(s): s.options["queue"] for s in trains.values()}
    assert {q for spec, q in queues.items() if spec[0] == "lora"} == {"gpu"}
    assert {q for spec, q in queues.items() if spec[0] == "mf"} == {"cpu"}
    ids = [task_id for task_id, _, _ in canvas.tasks]
    assert len(ids) == len(set(ids)) == 9 + 8  # models + evaluations
    assert "e7-train-lora-fine_tune-2-s0" in ids and "e7-eval-r12-t3" in ids


def test_without_a_gpu_worker_everything_goes_to_the_cpu_queue(settings, plan):
    canvas = build_canvas(client_app(settings), 7, [plan], gpu_worker_present=False)
    assert {queue for _, _, queue in canvas.tasks} == {"cpu"}


def test_the_canvas_is_sent_with_no_result_backend(settings, plan):
    """Sent through the filesystem broker: one message per lineage head and direct evaluation;
    the models continuing from it and the links travel inside those messages (JSON)."""
    canvas = build_canvas(client_app(settings), 7, [plan], gpu_worker_present=False)
    canvas.signature.apply_async()
    folder = settings.data_dir / "broker" / "queue"
    messages = [json.loads(path.read_text()) for path in sorted(Path(folder).iterdir())]
    assert len(messages) == 2 + 2 + 3
    by_id = {m["headers"]["id"]: m for m in messages}
    head = by_id["e7-train-lora-fine_tune-1-s0"]
    assert head["content-type"] == "application/json"
    body = json.loads(base64.b64decode(head["body"]))
    args, _, embed = body
    assert args == [
        7,
        {"family": "lora", "role": "fine_tune", "period": 1, "seed": 0, "also": []},
    ]
    (second,) = [step for step in embed["callbacks"] if step["task"] == TRAIN_MODEL]
    (third,) = [step for step in second["options"]["link"] if step["task"] == TRAIN_MODEL]
    assert [second["options"]["task_id"], third["options"]["task_id"]] == [
        "e7-train-lora-fine_tune-2-s0",
        "e7-train-lora-fine_tune-3-s0",
    ]


def test_the_model_of_t_1_is_one_task_for_full_short_and_fine_tune(settings):
    """Updates at t = 1: full retraining, the short-term LoRA and fine-tuning train one model,
    so one task, sent once, which names the roles it serves and sends all three evaluations."""
    config = ExperimentConfig(
        strategies=("full_retrain", "short_term", "fine_tune"),
        long_term_period=1,
        update_periods=(1, 2),
    )
    plan = plan_work(config, {"full_retrain": 21, "short_term": 22, "fine_tune": 23})
    canvas = build_canvas(client_app(settings), 7, [plan], gpu_worker_present=False)
    trained = [(task_id, what) for task_id, what, _ in canvas.tasks if "-train-" in task_id]
    assert trained == [
        ("e7-train-lora-fine_tune-1-s0", "train lora:fine_tune@1 seed 0 (also full@1, short@1)"),
        ("e7-train-lora-fine_tune-2-s0", "train lora:fine_tune@2 seed 0"),
        ("e7-train-lora-full-2-s0", "train lora:full@2 seed 0"),
        ("e7-train-lora-short-2-s0", "train lora:short@2 seed 0"),
    ]
    first = _members(canvas)[0]
    assert first.args[1] == {
        "family": "lora",
        "role": "fine_tune",
        "period": 1,
        "seed": 0,
        "also": ["full", "short"],
    }
    model = spec_from_json(first.args[1])
    assert [spec.label() for spec in model.specs] == [
        "lora:fine_tune@1",
        "lora:full@1",
        "lora:short@1",
    ]
    assert sorted(tuple(e["args"]) for e in _linked(first, EVALUATE_STEP)) == [
        (7, 21, 1),
        (7, 22, 1),
        (7, 23, 1),
    ]
    assert [_train(s) for s in _linked(first, TRAIN_MODEL)] == [("lora", "fine_tune", 2)]


def test_a_shared_models_task_is_named_alike_whichever_runs_are_pending(settings):
    """The same experiment launched with different runs pending (a relaunch after some
    succeeded) names every model's task as the plan of all its runs does: the model of t = 1 is
    fine-tuning's task even when only full retraining still needs it."""
    config = ExperimentConfig(
        strategies=("full_retrain", "short_term", "fine_tune"),
        long_term_period=1,
        update_periods=(1, 2),
    )
    runs = {"full_retrain": 21, "short_term": 22, "fine_tune": 23}
    every_run = plan_work(config, runs)

    def train_tasks(pending: tuple[str, ...]) -> dict[str, tuple[str, dict]]:
        plan = plan_work(config, {s: runs[s] for s in pending})
        canvas = build_canvas(
            client_app(settings), 7, [plan], gpu_worker_present=False, named_by=[every_run]
        )
        messages = {s.options["task_id"]: s.args[1] for s in _all_trains(_members(canvas)).values()}
        return {
            task_id: (what, messages[task_id])
            for task_id, what, _ in canvas.tasks
            if task_id in messages
        }

    launched = {
        pending: train_tasks(pending)
        for pending in (tuple(runs), ("full_retrain",), ("short_term", "fine_tune"))
    }
    every = launched[tuple(runs)]
    shared = every["e7-train-lora-fine_tune-1-s0"]
    assert shared == (
        "train lora:fine_tune@1 seed 0 (also full@1, short@1)",
        {"family": "lora", "role": "fine_tune", "period": 1, "seed": 0, "also": ["full", "short"]},
    )
    for pending, tasks in launched.items():
        assert tasks["e7-train-lora-fine_tune-1-s0"] == shared, pending
        assert tasks.items() <= every.items(), pending
    assert sorted(launched[("full_retrain",)]) == [
        "e7-train-lora-fine_tune-1-s0",
        "e7-train-lora-full-2-s0",
    ]


def test_a_message_sent_before_models_were_shared_reads_as_its_own_spec() -> None:
    old = spec_from_json({"family": "lora", "role": "short", "period": 2, "seed": 1})
    assert (old.specs, old.seed, old.label()) == (
        (ModelSpec(LORA, SHORT, 2),),
        1,
        "lora:short@2 seed 1",
    )
