"""An experiment's plan as a Celery canvas: chains for lineages, links to evaluations, queues,
and it can be sent without a result backend."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from celery import group
from celery.canvas import _chain

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.runner.work_plan import plan_work
from worker.canvas import build_canvas
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
    *spec, seed = signature.args[1].values()
    assert seed == 0
    return tuple(spec)


def test_lineages_are_chains_in_one_group_and_models_link_to_their_evaluations(settings, plan):
    canvas = build_canvas(client_app(settings), 7, [plan], gpu_worker_present=True)
    members = _members(canvas)
    # The two in-context evaluations need no model: they are sent directly.
    direct = [m for m in members if m.task == EVALUATE_STEP]
    assert sorted(m.args for m in direct) == [(7, 14, 2), (7, 14, 3)]
    chains = [m for m in members if isinstance(m, _chain)]
    assert [[_train(s) for s in c.tasks] for c in chains] == [
        [("lora", "fine_tune", 1), ("lora", "fine_tune", 2), ("lora", "fine_tune", 3)],
        [("mf", "fine_tune", 1), ("mf", "fine_tune", 2), ("mf", "fine_tune", 3)],
    ]
    singles = [m for m in members if m.task == TRAIN_MODEL]
    assert sorted(_train(s) for s in singles) == [
        ("lora", "full", 2),
        ("lora", "short", 2),
        ("lora", "short", 3),
    ]

    trains = {_train(s): s for s in singles} | {_train(s): s for c in chains for s in c.tasks}
    links = {
        spec: sorted(tuple(link["args"]) for link in sig.options.get("link", []))
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
    the rest of a chain and the links travel inside those messages (JSON)."""
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
    assert args == [7, {"family": "lora", "role": "fine_tune", "period": 1, "seed": 0}]
    assert [step["options"]["task_id"] for step in embed["chain"]] == [
        "e7-train-lora-fine_tune-3-s0",
        "e7-train-lora-fine_tune-2-s0",
    ]
