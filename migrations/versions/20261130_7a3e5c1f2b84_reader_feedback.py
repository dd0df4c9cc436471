"""reader feedback: "more like this" / "fewer like this" per reader and paper

Revision ID: 7a3e5c1f2b84
Revises: 7a3e5c1d2b90
Create Date: 2026-11-30 04:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = "7a3e5c1f2b84"
down_revision: str | Sequence[str] | None = "7a3e5c1d2b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reader_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=32), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("like", "dislike", name="feedbackkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", app.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_reader_feedback_subscriber_id_subscriber"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reader_feedback")),
        sa.UniqueConstraint(
            "subscriber_id", "arxiv_id", name=op.f("uq_reader_feedback_subscriber_id_arxiv_id")
        ),
    )
    with op.batch_alter_table("reader_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reader_feedback_subscriber_id"), ["subscriber_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reader_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reader_feedback_subscriber_id"))
    op.drop_table("reader_feedback")
