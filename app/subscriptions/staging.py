"""The bulk import's PostgreSQL path: ``COPY`` a chunk into a staging table, merge it.

``app.subscriptions.importing`` checks and normalises the rows; here a chunk of
them is copied into a temporary table and merged into ``subscriber`` with one
``INSERT … SELECT … ON CONFLICT (email) DO NOTHING RETURNING email`` that leaves
out suppressed addresses (the suppression list's own check, as a join). The
unique index answers "already present?" as part of the insert, so a chunk
costs the same at row 900,000 as at row 1.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from typing import cast as typed

from sqlalchemy import JSON, Integer, String, Table, Text, bindparam, cast, column, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from app.models.subscriber import Subscriber, SubscriberStatus
from app.subscriptions.suppression import suppressed

COLUMNS = ("email", "interests", "topics", "frequency", "send_hour", "timezone")
_TABLE = typed(Table, Subscriber.__table__)

# PostgreSQL: each chunk is COPY-ed into this temporary table, then merged. It
# empties itself at commit; within one long transaction it is truncated per chunk.
_STAGING = "subscriber_import_chunk"
_CREATE_STAGING = sql_text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (email text, interests text, "
    "topics text, frequency text, send_hour integer, timezone text) ON COMMIT DELETE ROWS"
)
_EMPTY_STAGING = sql_text(f"TRUNCATE {_STAGING}")
_COPY_STAGING = f"COPY {_STAGING} ({', '.join(COLUMNS)}) FROM STDIN"
_STAGED = table(
    _STAGING,
    column("email", Text),
    column("interests", Text),
    column("topics", Text),
    column("frequency", Text),
    column("send_hour", Integer),
    column("timezone", Text),
)
_STAGED_SUPPRESSED = select(_STAGED.c.email).where(suppressed(_STAGED.c.email))
_MERGE_STAGED = (
    postgresql_insert(_TABLE)
    .from_select(
        [
            *COLUMNS,
            "status",
            "weekly_day",
            "token_version",
            "seed_papers",
            "consent_source",
            "consent_at",
            "confirmed_at",
            "created_at",
            "updated_at",
        ],
        select(
            _STAGED.c.email,
            _STAGED.c.interests,
            cast(_STAGED.c.topics, JSON),
            _STAGED.c.frequency,
            _STAGED.c.send_hour,
            _STAGED.c.timezone,
            bindparam("status", type_=String),
            bindparam("weekly_day", 0, type_=Integer),
            bindparam("token_version", 1, type_=Integer),
            cast(bindparam("seed_papers", "[]", type_=Text), JSON),
            bindparam("source", type_=String),
            bindparam("now", type_=_TABLE.c.created_at.type),
            bindparam("now", type_=_TABLE.c.created_at.type),
            bindparam("now", type_=_TABLE.c.created_at.type),
            bindparam("now", type_=_TABLE.c.created_at.type),
        ).where(~suppressed(_STAGED.c.email)),
    )
    .on_conflict_do_nothing(index_elements=[_TABLE.c.email])
    .returning(_TABLE.c.email)
)


def merge_chunk(
    session: Session, rows: list[dict[str, Any]], *, source: str, now: datetime
) -> tuple[set[str], set[str]]:
    """COPY the chunk into the staging table and merge it: (suppressed, inserted) addresses."""
    session.execute(_CREATE_STAGING)
    session.execute(_EMPTY_STAGING)
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(_COPY_STAGING) as copy:  # type: ignore[union-attr]
        for values in rows:
            copy.write_row(
                (
                    values["email"],
                    values["interests"],
                    json.dumps(values["topics"]),
                    values["frequency"].value,
                    values["send_hour"],
                    values["timezone"],
                )
            )
    refused: set[str] = set(session.scalars(_STAGED_SUPPRESSED))
    parameters = {"status": SubscriberStatus.ACTIVE.value, "source": source, "now": now}
    inserted: set[str] = set(session.scalars(_MERGE_STAGED, parameters))
    return refused, inserted
