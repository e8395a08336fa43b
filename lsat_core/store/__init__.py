"""The run store: streams, experiments, runs, per-period results, shared artifacts and activity.

SQLite (a file) by default, PostgreSQL by URL. Callers own the transaction:

    upgrade(settings.database_url)               # once, at start-up
    engine = make_engine(settings.database_url)
    with session_scope(engine) as session:       # commits at the end, rolls back on error
        run = get_or_create_run(session, key=..., experiment_id=..., ...)
"""

from lsat_core.store.artifacts import (
    ArtifactClaim,
    ArtifactClaimError,
    claim_artifact,
    complete_artifact,
    fail_artifact,
    get_artifact,
)
from lsat_core.store.engine import make_engine, make_session_factory, session_scope
from lsat_core.store.events import record_event, update_progress
from lsat_core.store.lifecycle import (
    ALLOWED_TRANSITIONS,
    StatusTransitionError,
    set_experiment_status,
    set_run_status,
)
from lsat_core.store.migrate import current_revision, head_revision, upgrade
from lsat_core.store.models import (
    Artifact,
    ArtifactStatus,
    Event,
    EventKind,
    Experiment,
    ExperimentRun,
    PeriodResult,
    Run,
    RunStatus,
    Segment,
    StreamRecord,
    TaskProgress,
)
from lsat_core.store.postgres_schema import temporary_schema, url_with_schema
from lsat_core.store.queries import (
    RESULT_COLUMNS,
    get_experiment,
    get_run,
    latest_events,
    list_experiments,
    list_progress,
    list_runs,
    results_frame,
)
from lsat_core.store.results import record_period_result
from lsat_core.store.runs import (
    create_experiment,
    get_or_create_run,
    get_or_create_stream,
    set_run_stream,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "RESULT_COLUMNS",
    "Artifact",
    "ArtifactClaim",
    "ArtifactClaimError",
    "ArtifactStatus",
    "Event",
    "EventKind",
    "Experiment",
    "ExperimentRun",
    "PeriodResult",
    "Run",
    "RunStatus",
    "Segment",
    "StatusTransitionError",
    "StreamRecord",
    "TaskProgress",
    "claim_artifact",
    "complete_artifact",
    "create_experiment",
    "current_revision",
    "fail_artifact",
    "get_artifact",
    "get_experiment",
    "get_or_create_run",
    "get_or_create_stream",
    "get_run",
    "head_revision",
    "latest_events",
    "list_experiments",
    "list_progress",
    "list_runs",
    "make_engine",
    "make_session_factory",
    "record_event",
    "record_period_result",
    "results_frame",
    "session_scope",
    "set_experiment_status",
    "set_run_status",
    "set_run_stream",
    "temporary_schema",
    "update_progress",
    "upgrade",
    "url_with_schema",
]
