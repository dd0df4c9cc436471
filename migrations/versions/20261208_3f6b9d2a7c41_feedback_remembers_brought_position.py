"""reader feedback remembers where a brought paper stood when "fewer like this" dropped it

"Fewer like this" on a paper the reader brought stops bringing it; the feedback page's
Undo then forgot the dislike and left the paper neither brought nor disliked: lost.
The row now keeps its place in the brought papers, and Undo puts it back there.

Revision ID: 3f6b9d2a7c41
Revises: 9e4b6a2c7d15
Create Date: 2026-12-08 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f6b9d2a7c41"
down_revision: str | Sequence[str] | None = "9e4b6a2c7d15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reader_feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brought_position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reader_feedback", schema=None) as batch_op:
        batch_op.drop_column("brought_position")
