"""admin dashboard: figure cache, email prefix-search index

Revision ID: 5d1c0a7e9b21
Revises: 032b529d6814
Create Date: 2026-11-28 09:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = "5d1c0a7e9b21"
down_revision: str | Sequence[str] | None = "032b529d6814"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_stat",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("computed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_dashboard_stat")),
    )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscriber_email_pattern",
            ["email"],
            unique=False,
            postgresql_ops={"email": "text_pattern_ops"},
        )


def downgrade() -> None:
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriber_email_pattern")
    op.drop_table("dashboard_stat")
