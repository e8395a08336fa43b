"""Tags, a note and an archive date on experiments (issue 12, item 6).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 13:30:00

Existing experiments keep working: they have no tags, no note (NULL) and are not archived
(archived_at NULL), so every picker still lists them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the note and archive columns and the experiment_tags table."""
    with op.batch_alter_table("experiments") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_tags_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "tag", name=op.f("pk_experiment_tags")),
    )
    op.create_index(op.f("ix_experiment_tags_tag"), "experiment_tags", ["tag"], unique=False)


def downgrade() -> None:
    """Drop the tags, the note and the archive date."""
    op.drop_index(op.f("ix_experiment_tags_tag"), table_name="experiment_tags")
    op.drop_table("experiment_tags")
    with op.batch_alter_table("experiments") as batch_op:
        batch_op.drop_column("archived_at")
        batch_op.drop_column("note")
