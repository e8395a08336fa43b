"""The run store's tables: streams, experiments and their tags, runs, per-period results, shared
artifacts, events.

One typed SQLAlchemy 2.0 model per table. Statuses are string enums stored as short strings with
a CHECK constraint (portable between SQLite and PostgreSQL; a new value needs a migration, not an
`ALTER TYPE`). Every idempotency key is carried by a named unique constraint, so get-or-create and
upserts are decided by the database, not by a read-then-write race in Python.

Timestamps are timezone-aware UTC in Python on both backends (`UtcDateTime`). Defaults are set on
the Python side, so a row written through a Core `insert()` gets them too; the migrations
therefore define no server defaults.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Double,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from lsat_core.curve_points import CurveKind

# Constraint names are part of the schema that migrations refer to; a fixed convention keeps them
# identical on SQLite and PostgreSQL and lets SQLite batch migrations find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python on every backend.

    SQLite has no time zone type and hands back naive values; PostgreSQL's `timestamptz` hands
    back the session's zone. Both are normalised to UTC here; naive input is refused so that a
    local time can never be stored as if it were UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RunStatus(enum.StrEnum):
    """Life cycle of a run and of an experiment (see `runs.ALLOWED_TRANSITIONS`)."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ArtifactStatus(enum.StrEnum):
    PENDING = "pending"
    TRAINING = "training"
    READY = "ready"
    FAILED = "failed"


class Segment(enum.StrEnum):
    """The test items an AUC covers: all, or warm/cold for the model (docs/method.md section 1)."""

    ALL = "all"
    WARM = "warm"
    COLD = "cold"


class SamplePart(enum.StrEnum):
    """Which part of a period a prediction set scored (docs/method.md section 1)."""

    TEST = "test"
    VAL = "val"


class EventKind(enum.StrEnum):
    INFO = "info"
    PROGRESS = "progress"
    WARNING = "warning"
    ERROR = "error"


def _string_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    # length leaves room for later values without widening the column.
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: UtcDateTime(),
        float: Double(),
        dict[str, Any]: JSON(none_as_null=True),
        list[Any]: JSON(none_as_null=True),
    }


class StreamRecord(Base):
    """A built interaction stream D_1..D_T, shared by every run that uses the same config."""

    __tablename__ = "streams"
    __table_args__ = (UniqueConstraint("key", name="uq_streams_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    """Hash of the stream config and the source checksum: equal keys, identical streams."""
    dataset: Mapped[str] = mapped_column(String(64))
    """Data source name, e.g. "ml-1m"."""
    config: Mapped[dict[str, Any]]
    """The stream config the stream was built with (`config_to_dict`)."""
    source_checksum: Mapped[str] = mapped_column(String(64))
    """sha256 of the source files the stream was built from."""
    num_periods: Mapped[int]
    """T, the number of periods."""
    period_stats: Mapped[list[Any]]
    """One dict per period (samples, positives, users, items, first/last timestamp...)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Experiment(Base):
    """A comparison launched together: several runs over one stream and protocol."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    """Label the user gave the comparison."""
    protocol: Mapped[str] = mapped_column(String(32))
    """Evaluation protocol (docs/method.md section 4), e.g. "next_period"."""
    status: Mapped[RunStatus] = mapped_column(
        _string_enum(RunStatus, "experiment_status"), default=RunStatus.PENDING
    )
    config: Mapped[dict[str, Any]]
    """The whole request as submitted: stream, strategies, backbones, seeds."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why the experiment failed, when it did."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    """The user's free-text note on the comparison (`lsat note`, the dashboard)."""
    archived_at: Mapped[datetime | None]
    """When it was archived: archived experiments are hidden from the pickers unless asked."""


class ExperimentTag(Base):
    """A label the user put on an experiment (`lsat tag`, the dashboard); the pair is the key."""

    __tablename__ = "experiment_tags"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class Run(Base):
    """One strategy x backbone x protocol x config x seed: produces period results.

    A run is identified by the hash of its full config, so a run that two experiments both ask
    for is computed once and belongs to both (`ExperimentRun`).
    """

    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("key", name="uq_runs_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    """Hash of the full run config (including seed, stream and backbone)."""
    name: Mapped[str] = mapped_column(String(255))
    """Display label, e.g. "LSAT-EN (10)"."""
    strategy: Mapped[str] = mapped_column(String(64))
    """Registry name of the update strategy or baseline."""
    backbone: Mapped[str] = mapped_column(String(255))
    """Backbone model name or path."""
    protocol: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]]
    """The full run config the key was computed from."""
    seed: Mapped[int]
    stream_id: Mapped[int | None] = mapped_column(ForeignKey("streams.id", ondelete="SET NULL"))
    """The stream the run replays, once it is built."""
    status: Mapped[RunStatus] = mapped_column(
        _string_enum(RunStatus, "run_status"), default=RunStatus.PENDING
    )
    error: Mapped[str | None] = mapped_column(Text)
    """Why the run failed (one line or a traceback)."""
    device: Mapped[str | None] = mapped_column(String(128))
    """Where it ran, e.g. "cuda:0 NVIDIA H100" or "cpu"."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ExperimentRun(Base):
    """Membership of a run in an experiment (many to many: runs are shared by key)."""

    __tablename__ = "experiment_runs"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class PeriodResult(Base):
    """The AUC of one model (trained up to `train_period`) on one test period, with its cost.

    Recording the same cell again updates it (`uq_period_results_cell`), so a retried task never
    duplicates a result.
    """

    __tablename__ = "period_results"
    __table_args__ = (
        UniqueConstraint(
            "run_id",
            "train_period",
            "eval_period",
            "role",
            "segment",
            name="uq_period_results_cell",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    train_period: Mapped[int]
    """The update period t whose model is evaluated (1-based; 0 is the model before any update)."""
    eval_period: Mapped[int]
    """The period tested (t + 1 for next-period, T for fixed-target)."""
    role: Mapped[str] = mapped_column(String(32))
    """ "model" for the run's served model; "long"/"short" for the parts of an ensemble."""
    segment: Mapped[Segment] = mapped_column(_string_enum(Segment, "segment"))
    auc: Mapped[float | None]
    """Global ROC AUC; NULL when the test set holds one class only."""
    n: Mapped[int]
    """Test samples scored."""
    positives: Mapped[int]
    ci_low: Mapped[float | None]
    """DeLong 95% interval of the AUC."""
    ci_high: Mapped[float | None]
    uauc: Mapped[float | None]
    """Mean per-user AUC over the users with both labels; NULL when none (or stored before it)."""
    uauc_users: Mapped[int | None]
    """How many users `uauc` averages."""
    coefficient: Mapped[float | None]
    """The alpha (LSAT-EN) or lambda (LSAT-TA) chosen on validation; NULL for other strategies."""
    coefficient_curve: Mapped[list[Any] | None]
    """The validation curve: [{"coefficient": c, "auc": a}, ...] (docs/method.md section 3)."""
    samples_trained: Mapped[int | None] = mapped_column(BigInteger)
    """Samples seen by the update that produced this model (epochs counted)."""
    tokens_trained: Mapped[int | None] = mapped_column(BigInteger)
    train_seconds: Mapped[float | None]
    """Wall seconds of the update's training."""
    eval_seconds: Mapped[float | None]
    """Wall seconds of scoring this test period."""
    update_latency_seconds: Mapped[float | None]
    """Wall seconds from the end of the period to the updated model being ready to serve."""
    device: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PredictionSet(Base):
    """Every sample's P(Yes) from one scoring of a test or validation set, beside its identity.

    One row per scoring; its samples travel in `frame`, a Parquet file (see
    `lsat_core.store.predictions`), because readers always take a whole set (a paired test needs
    both models' full vectors) and about 3 million samples per paper comparison would otherwise
    be 3 million rows. Written once under `key` (`uq_prediction_sets_key`): a redelivered task
    finds it there and writes nothing.
    """

    __tablename__ = "prediction_sets"
    __table_args__ = (
        UniqueConstraint("key", name="uq_prediction_sets_key"),
        Index("ix_prediction_sets_run_id_eval_period", "run_id", "eval_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    """Run, train period, eval period, part, role and coefficient (`prediction_set_key`)."""
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    train_period: Mapped[int]
    """The update period whose model scored the set (0: before any update)."""
    eval_period: Mapped[int]
    """The period whose part was scored (the tested period; for validation, the update period)."""
    part: Mapped[SamplePart] = mapped_column(_string_enum(SamplePart, "sample_part"))
    role: Mapped[str] = mapped_column(String(32))
    """ "model" for the served model; "long"/"short" for the parts of an ensemble."""
    coefficient: Mapped[float | None]
    """The alpha or lambda the scoring used: the chosen one on test, each candidate on val."""
    samples: Mapped[int]
    positives: Mapped[int]
    frame: Mapped[bytes] = mapped_column(LargeBinary)
    """Parquet bytes: sample_id, user, item, label, warm, score (`PREDICTION_COLUMNS`)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Artifact(Base):
    """A trained adapter or baseline model that runs share, built once by whoever claims it."""

    __tablename__ = "artifacts"
    __table_args__ = (UniqueConstraint("key", name="uq_artifacts_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    """Stream key + role + period range + training config hash: what makes two artifacts equal."""
    kind: Mapped[str] = mapped_column(String(32))
    """e.g. "lora_adapter", "baseline_model"."""
    status: Mapped[ArtifactStatus] = mapped_column(
        _string_enum(ArtifactStatus, "artifact_status"), default=ArtifactStatus.PENDING
    )
    path: Mapped[str | None] = mapped_column(Text)
    """Where the finished artifact lies (relative to the artifacts folder or absolute)."""
    sha256: Mapped[str | None] = mapped_column(String(64))
    config: Mapped[dict[str, Any]]
    """The training config the artifact was made with."""
    metrics: Mapped[dict[str, Any] | None]
    """Best validation AUC, samples, tokens, seconds, device."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why building it failed, when it did."""
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    """The worker (host:pid:task) building it."""
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class Event(Base):
    """A line of the activity log shown in the dashboard."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_run_id_id", "run_id", "id"),
        Index("ix_events_experiment_id_id", "experiment_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    experiment_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE")
    )
    task_key: Mapped[str | None] = mapped_column(String(255))
    """The task that emitted it (same key as in `TaskProgress`)."""
    kind: Mapped[EventKind] = mapped_column(_string_enum(EventKind, "event_kind"))
    message: Mapped[str] = mapped_column(Text)
    step: Mapped[int | None]
    total: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskProgress(Base):
    """The latest progress of one task: one row per task key, overwritten on every update."""

    __tablename__ = "progress"

    task_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    """e.g. "run:12:period:7:train"."""
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True
    )
    experiment_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[int]
    total: Mapped[int | None]
    eta_seconds: Mapped[float | None]
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    """When the task first reported progress."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingCurve(Base):
    """The learning curve of one trained model (docs/method.md sections 2.3 and 5): one row per
    model key, its points in `training_curve_points`. A retraining of the key (a redelivered
    task, a claim taken over) replaces the points (`learning_curves.start_curve`)."""

    __tablename__ = "training_curves"
    __table_args__ = (UniqueConstraint("model_key", name="uq_training_curves_model_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_key: Mapped[str] = mapped_column(
        String(255), ForeignKey("artifacts.key", ondelete="CASCADE")
    )
    """The artifact's key: deleting the model deletes its curve."""
    experiment_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="SET NULL"), index=True
    )
    """The experiment whose work trained it (None: trained outside an experiment)."""
    label: Mapped[str] = mapped_column(String(128))
    """The model spec's label, e.g. "lora:fine_tune@3"."""
    family: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    period: Mapped[int]
    best_step: Mapped[int | None]
    """The step of the validation whose weights are kept: the best so far while training, the
    kept checkpoint once trained (0: fine-tuning kept the model it started from)."""
    finished: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingCurvePoint(Base):
    """One point of a learning curve: keyed by (curve, kind, step), so a point written again
    replaces the stored one instead of adding a second."""

    __tablename__ = "training_curve_points"

    curve_id: Mapped[int] = mapped_column(
        ForeignKey("training_curves.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[CurveKind] = mapped_column(_string_enum(CurveKind, "curve_kind"), primary_key=True)
    step: Mapped[int] = mapped_column(primary_key=True)
    samples_seen: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float]
