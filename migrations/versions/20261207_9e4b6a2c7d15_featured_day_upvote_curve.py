"""featured days keep their upvote curve: a day page reads it with its rows

A day page drew each paper's sparkline and ranked it by upvote velocity from every
snapshot of the period's papers, read on every visit (800 readings for a day of 50, a
fifth of the page's time). The readings of a featured day's window (that day and the
next) are now kept on its row, written when snapshots are stored
(``app.ingest.curves``); this fills them for the snapshots stored before.

Self-contained on purpose (a migration must not change with the app's code): the
window and the curve's form are the ones ``app.ingest.curves`` documents.

Revision ID: 9e4b6a2c7d15
Revises: cd717057fe24
Create Date: 2026-12-07 16:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "9e4b6a2c7d15"
down_revision: str | Sequence[str] | None = "cd717057fe24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURVE_DAYS = 2
CHUNK = 2_000

feature = sa.table(
    "paper_feature",
    sa.column("id", sa.Integer),
    sa.column("paper_id", sa.Integer),
    sa.column("featured_on", sa.Date),
    sa.column("upvote_curve", sa.JSON),
)
snapshot = sa.table(
    "paper_snapshot",
    sa.column("paper_id", sa.Integer),
    sa.column("fetched_at", sa.DateTime(timezone=True)),
    sa.column("upvotes", sa.Integer),
)


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def upgrade() -> None:
    with op.batch_alter_table("paper_feature", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upvote_curve", sa.JSON(), nullable=True))
    bind = op.get_bind()
    # Only features whose window holds a snapshot can have a curve; the rest stay NULL
    # (what the site reads as "no readings") until their papers are stored again.
    first = bind.scalar(sa.select(sa.func.min(snapshot.c.fetched_at)))
    if first is None:
        return
    since = _aware(first).date() - timedelta(days=CURVE_DAYS)
    rows = bind.execute(
        sa.select(feature.c.id, feature.c.paper_id, feature.c.featured_on)
        .where(feature.c.featured_on >= since)
        .order_by(feature.c.paper_id)
    ).all()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        papers = sorted({r.paper_id for r in chunk})
        readings: dict[int, list[tuple[datetime, int]]] = {}
        for paper_id, fetched_at, upvotes in bind.execute(
            sa.select(snapshot.c.paper_id, snapshot.c.fetched_at, snapshot.c.upvotes)
            .where(snapshot.c.paper_id.in_(papers))
            .order_by(snapshot.c.paper_id, snapshot.c.fetched_at)
        ):
            readings.setdefault(paper_id, []).append((_aware(fetched_at), upvotes))
        values = []
        for row in chunk:
            day: date = row.featured_on
            day_start = datetime.combine(day, time(0), tzinfo=UTC)
            end = day_start + timedelta(days=CURVE_DAYS)
            curve = [
                [(at - day_start).total_seconds(), votes]
                for at, votes in readings.get(row.paper_id, [])
                if day_start <= at < end
            ]
            values.append({"feature_id": row.id, "curve": curve})
        bind.execute(
            feature.update()
            .where(feature.c.id == sa.bindparam("feature_id"))
            .values(upvote_curve=sa.bindparam("curve", type_=sa.JSON)),
            values,
        )


def downgrade() -> None:
    with op.batch_alter_table("paper_feature", schema=None) as batch_op:
        batch_op.drop_column("upvote_curve")
