"""What a worker process keeps between tasks: its settings, a store engine, the last workbench.

A task re-reads the experiment from the store, but rebuilding the workbench each time would
reload the stream and the backbone; the workbench of the latest experiment is kept (one at a
time, to bound memory). Its models are immutable once ready, so keeping them is safe.
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
    _bench: tuple[int, Workbench] | None = field(default=None, init=False)

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

    def workbench(self, experiment_id: int, config: ExperimentConfig) -> Workbench:
        if self._bench is None or self._bench[0] != experiment_id:
            self._bench = None  # drop the previous experiment's models before loading new ones
            self._bench = (experiment_id, open_workbench(config, self.settings, self.engine))
        return self._bench[1]
