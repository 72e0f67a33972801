"""synthesis: SFT examples, DPO guidance trees (nodes) and pairing decisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sft_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.ForeignKeyConstraint(["episode_id"], ["episodes.id"]),
        sa.ForeignKeyConstraint(["sample_id"], ["samples.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("episode_id", "turn", name="uq_sft_examples_episode_turn"),
    )
    with op.batch_alter_table("sft_examples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sft_examples_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sft_examples_sample_id"), ["sample_id"], unique=False)

    op.create_table(
        "dpo_nodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("branch", sa.Integer(), nullable=False),
        sa.Column("guide_model", sa.String(length=200), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("prompt", sa.JSON(), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("stop_reason", sa.String(length=32), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("final_answer", sa.Text(), nullable=True),
        sa.Column("answer_score", sa.Float(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.ForeignKeyConstraint(["episode_id"], ["episodes.id"]),
        sa.ForeignKeyConstraint(["sample_id"], ["samples.id"]),
        sa.ForeignKeyConstraint(["parent_id"], ["dpo_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("episode_id", "path", name="uq_dpo_nodes_episode_path"),
    )
    with op.batch_alter_table("dpo_nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dpo_nodes_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dpo_nodes_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_dpo_nodes_run_task", ["run_id", "task"], unique=False)

    op.create_table(
        "dpo_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("chosen_id", sa.Integer(), nullable=False),
        sa.Column("rejected_id", sa.Integer(), nullable=False),
        sa.Column("chosen_score", sa.Float(), nullable=False),
        sa.Column("rejected_score", sa.Float(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.ForeignKeyConstraint(["episode_id"], ["episodes.id"]),
        sa.ForeignKeyConstraint(["sample_id"], ["samples.id"]),
        sa.ForeignKeyConstraint(["parent_id"], ["dpo_nodes.id"]),
        sa.ForeignKeyConstraint(["chosen_id"], ["dpo_nodes.id"]),
        sa.ForeignKeyConstraint(["rejected_id"], ["dpo_nodes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chosen_id", "rejected_id", name="uq_dpo_pairs_chosen_rejected"),
    )
    with op.batch_alter_table("dpo_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dpo_pairs_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index("ix_dpo_pairs_run_task", ["run_id", "task"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dpo_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_dpo_pairs_run_task")
        batch_op.drop_index(batch_op.f("ix_dpo_pairs_episode_id"))
    op.drop_table("dpo_pairs")
    with op.batch_alter_table("dpo_nodes", schema=None) as batch_op:
        batch_op.drop_index("ix_dpo_nodes_run_task")
        batch_op.drop_index(batch_op.f("ix_dpo_nodes_parent_id"))
        batch_op.drop_index(batch_op.f("ix_dpo_nodes_episode_id"))
    op.drop_table("dpo_nodes")
    with op.batch_alter_table("sft_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sft_examples_sample_id"))
        batch_op.drop_index(batch_op.f("ix_sft_examples_run_id"))
    op.drop_table("sft_examples")
