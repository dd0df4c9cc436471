"""suppressed addresses: when someone last asked to subscribe them again

A subscribe request for a suppressed address now does the same work as any other
(one write, one job), so its answer takes the same time: the write is this column.

Revision ID: 5c2f8e1a9d47
Revises: b7d41c2e9a53
Create Date: 2026-12-07 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = "5c2f8e1a9d47"
down_revision: str | Sequence[str] | None = "b7d41c2e9a53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suppression", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_requested_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("suppression", schema=None) as batch_op:
        batch_op.drop_column("last_requested_at")
