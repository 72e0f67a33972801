"""training metrics: one row per logged training step

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Float(), nullable=True),
        sa.Column("split", sa.String(length=8), nullable=False),
        sa.Column("loss", sa.Float(), nullable=True),
        sa.Column("learning_rate", sa.Float(), nullable=True),
        sa.Column("grad_norm", sa.Float(), nullable=True),
        sa.Column("tokens_per_s", sa.Float(), nullable=True),
        sa.Column("elapsed_s", sa.Float(), nullable=True),
        sa.Column("logs", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("training_metrics", schema=None) as batch_op:
        batch_op.create_index("ix_training_metrics_run_step", ["run_id", "step"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_training_metrics_run_step")
    op.drop_table("training_metrics")
