"""papers readers bring: arXiv lookups of ids we do not have, feedback by edition

A reader's brought papers stay in ``subscriber.seed_papers``; ``paper_lookup``
holds the ids among them that are not stored papers yet (waiting for arXiv, or
unknown to it). The index on ``reader_feedback.edition_id`` lets the admin
count likes and dislikes per edition without reading the whole table.

Revision ID: e946ece1725b
Revises: 7a3e5c1f2b84
Create Date: 2026-12-06 19:13:00.798039
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = "e946ece1725b"
down_revision: str | Sequence[str] | None = "7a3e5c1f2b84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "paper_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("arxiv_id", sa.String(length=32), nullable=False),
        sa.Column("requested_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_tried_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("missing_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_lookup")),
        sa.UniqueConstraint("arxiv_id", name=op.f("uq_paper_lookup_arxiv_id")),
    )
    with op.batch_alter_table("reader_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reader_feedback_edition_id"), ["edition_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reader_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reader_feedback_edition_id"))
    op.drop_table("paper_lookup")
