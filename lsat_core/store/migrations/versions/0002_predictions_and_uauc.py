"""Per-sample predictions (prediction_sets) and uAUC beside each period result's AUC.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 09:10:00

Existing results keep working: their uauc and uauc_users are NULL (not measured), and a store
at 0001 holds no predictions to convert.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the uAUC columns and the prediction_sets table."""
    with op.batch_alter_table("period_results") as batch_op:
        batch_op.add_column(sa.Column("uauc", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("uauc_users", sa.Integer(), nullable=True))
    op.create_table(
        "prediction_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("train_period", sa.Integer(), nullable=False),
        sa.Column("eval_period", sa.Integer(), nullable=False),
        sa.Column(
            "part",
            sa.Enum(
                "test",
                "val",
                name="sample_part",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("coefficient", sa.Double(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("frame", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_prediction_sets_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prediction_sets")),
        sa.UniqueConstraint("key", name="uq_prediction_sets_key"),
    )
    op.create_index(
        "ix_prediction_sets_run_id_eval_period",
        "prediction_sets",
        ["run_id", "eval_period"],
        unique=False,
    )


def downgrade() -> None:
    """Drop the predictions and the uAUC columns."""
    op.drop_index("ix_prediction_sets_run_id_eval_period", table_name="prediction_sets")
    op.drop_table("prediction_sets")
    with op.batch_alter_table("period_results") as batch_op:
        batch_op.drop_column("uauc_users")
        batch_op.drop_column("uauc")
