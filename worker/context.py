"""What a worker process keeps between tasks: its settings, a store engine, the last workbench.

A task re-reads the experiment from the store, but rebuilding the workbench each time would
reload the stream and the backbone; the workbench of the latest (experiment, seed) is kept (one
at a time, to bound memory). Its models are immutable once ready, so keeping them is safe. The
seeds of an experiment each have their own workbench, since their training seeds, and so their
model keys, differ (docs/method.md section 9); a seed's workbench takes the stream and the loaded
backbone of the experiment's seed before it, so a worker whose tasks go from seed to seed loads
the backbone once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from lsat_core.engine.experiment_config import ExperimentConfig
from lsat_core.engine.workbench import Workbench
from lsat_core.errors import InputError
from lsat_core.runner.assembly import open_workbench
from lsat_core.settings import Settings
from lsat_core.store.engine import make_engine, session_scope
from lsat_core.store.models import Experiment


@dataclass(eq=False)
class WorkerContext:
    settings: Settings
    _bench: tuple[tuple[int, int], Workbench] | None = field(default=None, init=False)
    """The latest workbench, under its (experiment id, seed)."""

    @cached_property
    def engine(self) -> Engine:
        # Created in the process that uses it (a pool child), never inherited through fork.
        return make_engine(self.settings.database_url)

    def experiment_config(self, experiment_id: int) -> ExperimentConfig:
        with session_scope(self.engine) as session:
            experiment = session.get(Experiment, experiment_id)
            if experiment is None:
                raise InputError("no such experiment", where=f"experiment {experiment_id}")
            return ExperimentConfig.from_dict(experiment.config)

    def workbench(self, experiment_id: int, config: ExperimentConfig, seed: int) -> Workbench:
        """The workbench of the runs of `seed` of experiment `experiment_id` (`config`: its
        stored config, every seed)."""
        held = self._bench
        if held is not None and held[0] == (experiment_id, seed):
            return held[1]
        sibling = held[1] if held is not None and held[0][0] == experiment_id else None
        # Drop the previous workbench's models before loading new ones (a sibling seed's
        # workbench lends its stream and backbone only while this one is built).
        self._bench = held = None
        bench = open_workbench(config.for_seed(seed), self.settings, self.engine, sibling=sibling)
        self._bench = ((experiment_id, seed), bench)
        return bench
