"""The workbench of one seed of an experiment, kept between a worker's tasks.

`WorkerContext.workbench` keeps one workbench per process under its experiment id, which is right
for an experiment of one seed. The seeds of an experiment each have their own workbench, since
their training seeds, and so their model keys, differ (docs/method.md section 9): for an
experiment of several seeds the workbench of the latest seed is kept here instead, under
(experiment, seed), sharing the stream and the loaded backbone of the seed before it, so a worker
whose tasks go from seed to seed loads the backbone once.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.workbench import Workbench
from lsat_core.runner.assembly import open_workbench
from worker.context import WorkerContext

_held: WeakKeyDictionary[WorkerContext, tuple[tuple[int, int], Workbench]] = WeakKeyDictionary()


def seed_workbench(
    ctx: WorkerContext, experiment_id: int, config: ExperimentConfig, seed: int
) -> Workbench:
    """The workbench of the runs of `seed` of experiment `experiment_id` (config: its stored
    config, all seeds)."""
    seeded = config.for_seed(seed)
    if len(config.seeds) == 1:
        return ctx.workbench(experiment_id, seeded)
    held = _held.get(ctx)
    if held is not None and held[0] == (experiment_id, seed):
        return held[1]
    sibling = held[1] if held is not None and held[0][0] == experiment_id else None
    _held.pop(ctx, None)  # the previous seed's models go before new ones load
    bench = open_workbench(seeded, ctx.settings, ctx.engine, sibling=sibling)
    _held[ctx] = ((experiment_id, seed), bench)
    return bench
