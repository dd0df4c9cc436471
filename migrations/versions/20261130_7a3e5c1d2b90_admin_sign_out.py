"""admin sign-out: sessions issued before signed_out_at no longer work

Revision ID: 7a3e5c1d2b90
Revises: 7c3e91d2a4f0
Create Date: 2026-11-30 05:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db


revision: str = "7a3e5c1d2b90"
down_revision: str | Sequence[str] | None = "7c3e91d2a4f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("admin_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signed_out_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("admin_user", schema=None) as batch_op:
        batch_op.drop_column("signed_out_at")
