"""Learning curves: each trained model's training loss and validation AUC (issue 12, item 4).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:10:00

Two new tables, nothing else changes: models trained before have no curve.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create training_curves and training_curve_points."""
    op.create_table(
        "training_curves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_key", sa.String(length=255), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("best_step", sa.Integer(), nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_training_curves_experiment_id_experiments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["model_key"],
            ["artifacts.key"],
            name=op.f("fk_training_curves_model_key_artifacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_curves")),
        sa.UniqueConstraint("model_key", name="uq_training_curves_model_key"),
    )
    op.create_index(
        op.f("ix_training_curves_experiment_id"),
        "training_curves",
        ["experiment_id"],
        unique=False,
    )
    op.create_table(
        "training_curve_points",
        sa.Column("curve_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "loss",
                "val_auc",
                name="curve_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("samples_seen", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["curve_id"],
            ["training_curves.id"],
            name=op.f("fk_training_curve_points_curve_id_training_curves"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("curve_id", "kind", "step", name=op.f("pk_training_curve_points")),
    )


def downgrade() -> None:
    """Drop the learning curves."""
    op.drop_table("training_curve_points")
    op.drop_index(op.f("ix_training_curves_experiment_id"), table_name="training_curves")
    op.drop_table("training_curves")
