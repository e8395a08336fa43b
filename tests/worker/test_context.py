"""A worker process keeps one workbench, under its (experiment, seed): tasks of the same seed
reuse it, another seed of the experiment gets its own built beside the previous one (sharing
its stream and backbone), and another experiment starts afresh."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import worker.context
from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.settings import Settings
from worker.context import WorkerContext


def test_the_workbench_is_kept_per_experiment_and_seed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = []

    def open_workbench(config, settings, engine, *, sibling=None):
        bench = SimpleNamespace(seed=config.seed, seeds=config.seeds, sibling=sibling)
        opened.append(bench)
        return bench

    monkeypatch.setattr(worker.context, "open_workbench", open_workbench)
    ctx = WorkerContext(settings)
    config = ExperimentConfig(strategies=("lsat_en",), seeds=(0, 1))

    first = ctx.workbench(7, config, 0)
    assert (first.seed, first.seeds, first.sibling) == (0, (0,), None)
    assert ctx.workbench(7, config, 0) is first
    second = ctx.workbench(7, config, 1)
    assert (second.seed, second.sibling) == (1, first)
    assert ctx.workbench(7, config, 1) is second
    other = ctx.workbench(8, config, 1)
    assert other.sibling is None  # another experiment shares nothing
    assert len(opened) == 3
