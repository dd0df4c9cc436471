"""delivery tally: an edition's delivery counts by status without counting its rows

At a million deliveries, ``GROUP BY status`` over an edition in flight took
1.7-2.3 s per admin page (every row changed recently, so the index cannot
answer alone). On PostgreSQL a statement-level trigger on ``delivery`` now
writes, per statement, the change in each (edition, status) count to
``delivery_tally`` (insert only: writers never wait on each other); the counts
are the sums. Existing deliveries are tallied here, under a lock that keeps
writers out until the triggers are in place. SQLite keeps counting rows.

The partial index on sent deliveries' ``(edition_id, sent_at)`` answers the
send rate (the last 30 s) and a finished send's last time without a scan; the
one on ``lease_expires_at`` of rows in flight lets recovery find stale leases
without reading every delivery of every edition ever sent.

Revision ID: b7d41c2e9a53
Revises: e946ece1725b
Create Date: 2026-12-06 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d41c2e9a53"
down_revision: str | Sequence[str] | None = "e946ece1725b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TALLY_FUNCTION = """
CREATE FUNCTION delivery_tally_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO delivery_tally (edition_id, status, n)
        SELECT edition_id, status, count(*) FROM new_rows GROUP BY edition_id, status;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO delivery_tally (edition_id, status, n)
        SELECT edition_id, status, -count(*) FROM old_rows GROUP BY edition_id, status;
    ELSE
        -- Only the statuses that changed: an update that leaves the status alone
        -- (a lease renewal, an open) writes nothing.
        INSERT INTO delivery_tally (edition_id, status, n)
        SELECT edition_id, status, sum(n) FROM (
            SELECT edition_id, status, count(*) AS n FROM new_rows GROUP BY edition_id, status
            UNION ALL
            SELECT edition_id, status, -count(*) FROM old_rows GROUP BY edition_id, status
        ) AS change
        GROUP BY edition_id, status
        HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END
$$
"""
TRUNCATE_FUNCTION = """
CREATE FUNCTION delivery_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM delivery_tally;
    RETURN NULL;
END
$$
"""
TRIGGERS = [
    "CREATE TRIGGER delivery_tally_insert AFTER INSERT ON delivery "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION delivery_tally_change()",
    "CREATE TRIGGER delivery_tally_update AFTER UPDATE ON delivery "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION delivery_tally_change()",
    "CREATE TRIGGER delivery_tally_delete AFTER DELETE ON delivery "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION delivery_tally_change()",
    "CREATE TRIGGER delivery_tally_truncate AFTER TRUNCATE ON delivery "
    "FOR EACH STATEMENT EXECUTE FUNCTION delivery_tally_truncate()",
]


def upgrade() -> None:
    op.create_table(
        "delivery_tally",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_tally")),
    )
    with op.batch_alter_table("delivery_tally", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_tally_edition_id"), ["edition_id"], unique=False)
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_edition_id_sent_at_sent",
            ["edition_id", "sent_at"],
            unique=False,
            postgresql_where=sa.text("status = 'sent'"),
            sqlite_where=sa.text("status = 'sent'"),
        )
        batch_op.create_index(
            "ix_delivery_lease_expires_at_sending",
            ["lease_expires_at"],
            unique=False,
            postgresql_where=sa.text("status = 'sending'"),
            sqlite_where=sa.text("status = 'sending'"),
        )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("LOCK TABLE delivery IN SHARE ROW EXCLUSIVE MODE")
    op.execute(TALLY_FUNCTION)
    op.execute(TRUNCATE_FUNCTION)
    for trigger in TRIGGERS:
        op.execute(trigger)
    op.execute(
        "INSERT INTO delivery_tally (edition_id, status, n) "
        "SELECT edition_id, status, count(*) FROM delivery GROUP BY edition_id, status"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS delivery_tally_{name} ON delivery")
        op.execute("DROP FUNCTION IF EXISTS delivery_tally_change()")
        op.execute("DROP FUNCTION IF EXISTS delivery_tally_truncate()")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_lease_expires_at_sending")
        batch_op.drop_index("ix_delivery_edition_id_sent_at_sent")
    with op.batch_alter_table("delivery_tally", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_tally_edition_id"))
    op.drop_table("delivery_tally")
