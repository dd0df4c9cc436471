"""The delivery state machine: claim, record, reclaim.

    pending ──claim──> sending ──> sent
       ▲                  │   ├──> bounced   (5xx: address suppressed)
       │                  │   ├──> failed    (temporary failures, attempts exhausted)
       │                  │   └──> skipped   (unsubscribed / suppressed since fan-out)
       └── retry (4xx, backoff via next_attempt_at) / lease expired (worker lost)

Every transition is one set-based statement, so many workers can share an
edition: a claim is ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
RETURNING`` on PostgreSQL; on SQLite the same statement runs under the
``BEGIN IMMEDIATE`` that ``app.db`` issues, which serialises writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    Update,
    and_,
    bindparam,
    exists,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.models import Delivery, DeliveryStatus, Edition, EditionStatus

_table: Table = Delivery.__table__  # type: ignore[assignment]


@dataclass(frozen=True, order=True)
class ClaimedDelivery:
    id: int
    subscriber_id: int
    attempts: int


@dataclass
class DeliveryResult:
    """What happened to one claimed delivery (recorded in batches)."""

    delivery_id: int
    status: DeliveryStatus
    error: str | None = None
    smtp_code: int | None = None
    message_id: str | None = None
    picks: list[dict[str, Any]] = field(default_factory=list)
    retry_at: datetime | None = None
    # True when the message was never handed to the transport (the attempt is undone).
    not_attempted: bool = False


def claimable(now: datetime) -> Any:
    return and_(
        Delivery.status == DeliveryStatus.PENDING,
        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now),
    )


def claim_deliveries(
    session: Session,
    *,
    edition_id: int,
    delivery_ids: Sequence[int],
    limit: int,
    lease_seconds: float,
    now: datetime,
) -> list[ClaimedDelivery]:
    """Atomically move up to ``limit`` of ``delivery_ids`` from pending to sending.

    Only rows still pending (and due) in an edition that is sending are taken;
    concurrent claimers skip each other's locked rows instead of waiting.
    """
    if not delivery_ids:
        return []
    sending = exists().where(Edition.id == edition_id, Edition.status == EditionStatus.SENDING)
    chosen = (
        select(Delivery.id)
        .where(Delivery.edition_id == edition_id, Delivery.id.in_(delivery_ids), claimable(now))
        .where(sending)
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(Delivery)
        .where(Delivery.id.in_(chosen.scalar_subquery()))
        .values(
            status=DeliveryStatus.SENDING,
            attempts=Delivery.attempts + 1,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            next_attempt_at=None,
            updated_at=now,
        )
        .returning(Delivery.id, Delivery.subscriber_id, Delivery.attempts),
        execution_options={"synchronize_session": False},
    ).all()
    return sorted(ClaimedDelivery(*row) for row in rows) if rows else []


_still_sending = and_(_table.c.id == bindparam("b_id"), _table.c.status == "sending")


def _recording(**values: Any) -> Update:
    """An outcome's UPDATE: what every outcome writes, and ``values``."""
    return (
        update(_table)
        .where(_still_sending)
        .values(
            updated_at=bindparam("b_now"),
            lease_expires_at=None,
            smtp_code=bindparam("b_code"),
            **values,
        )
    )


# The two statements that record outcomes, one row each (parameters ``b_*``). A row
# is only updated while it is still ``sending``: a cancelled or reclaimed row is
# not overwritten by a late worker. ``recording`` sends them pipelined, one per
# outcome, on PostgreSQL; ``record_results`` runs them as executemany batches.
RECORD_SENT = _recording(
    status=DeliveryStatus.SENT,
    sent_at=bindparam("b_now"),
    message_id=bindparam("b_message_id"),
    picks=bindparam("b_picks"),
    last_error=None,
)
RECORD_OTHER = _recording(
    status=bindparam("b_status"),
    last_error=bindparam("b_error"),
    next_attempt_at=bindparam("b_retry_at"),
    attempts=_table.c.attempts - bindparam("b_undo"),
)


def outcome_statement(result: DeliveryResult, now: datetime) -> tuple[Update, dict[str, Any]]:
    """The statement recording ``result`` and its parameters."""
    if result.status == DeliveryStatus.SENT:
        return RECORD_SENT, {
            "b_id": result.delivery_id,
            "b_now": now,
            "b_message_id": result.message_id,
            "b_picks": result.picks,
            "b_code": result.smtp_code,
        }
    return RECORD_OTHER, {
        "b_id": result.delivery_id,
        "b_now": now,
        "b_status": result.status.value,
        "b_error": result.error,
        "b_code": result.smtp_code,
        "b_retry_at": result.retry_at,
        "b_undo": 1 if result.not_attempted else 0,
    }


def record_results(
    session: Session | Connection, *, results: Sequence[DeliveryResult], now: datetime
) -> None:
    """Write a batch of outcomes in (at most) two executemany statements."""
    by_statement: dict[Update, list[dict[str, Any]]] = {}
    for result in results:
        statement, parameters = outcome_statement(result, now)
        by_statement.setdefault(statement, []).append(parameters)
    for statement, rows in by_statement.items():
        session.execute(statement, rows)


def retry_delay(attempts: int, base_seconds: float) -> timedelta:
    """Exponential backoff: base, 2 x base, 4 x base ... capped at six hours."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 6 * 3600))


def reclaim_stale(session: Session, *, now: datetime, max_attempts: int) -> int:
    """Rows left ``sending`` past their lease (their worker died) go back to pending.

    A row whose attempts are used up fails instead, so a message that kills its
    worker every time cannot loop forever.
    """
    # The status is written into the SQL (not bound) so that even a generic plan
    # can use the partial index on rows in flight.
    in_flight = Delivery.status == literal_column(f"'{DeliveryStatus.SENDING.value}'")
    stale = and_(in_flight, Delivery.lease_expires_at < now)
    failed = session.execute(
        update(Delivery)
        .where(stale, Delivery.attempts >= max_attempts)
        .values(
            status=DeliveryStatus.FAILED,
            last_error="worker lost while sending; attempts exhausted",
            lease_expires_at=None,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    back = session.execute(
        update(Delivery)
        .where(stale)
        .values(
            status=DeliveryStatus.PENDING,
            last_error="lease expired (worker lost while sending)",
            lease_expires_at=None,
            next_attempt_at=now,
            updated_at=now,
        ),
        execution_options={"synchronize_session": False},
    )
    return int(failed.rowcount or 0) + int(back.rowcount or 0)  # type: ignore[attr-defined]


def take_due_pending(
    session: Session, *, now: datetime, orphan_after_seconds: float
) -> dict[int, list[int]]:
    """Pending rows that no queued task is known to cover, by edition; marked as re-enqueued.

    That is: retries whose backoff has passed, and rows untouched for
    ``orphan_after_seconds`` (their task was lost, e.g. prefetched by a worker
    killed with SIGKILL). Re-enqueuing a row a task still holds is harmless: the
    claim is atomic, the second task finds nothing to do.
    """
    orphaned_before = now - timedelta(seconds=orphan_after_seconds)
    due = and_(
        Delivery.status == DeliveryStatus.PENDING,
        or_(
            Delivery.next_attempt_at <= now,
            and_(Delivery.next_attempt_at.is_(None), Delivery.updated_at <= orphaned_before),
        ),
        Delivery.edition_id.in_(select(Edition.id).where(Edition.status == EditionStatus.SENDING)),
    )
    rows = session.execute(
        select(Delivery.edition_id, Delivery.id).where(due).order_by(Delivery.id)
    ).all()
    if not rows:
        return {}
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 5000):
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids[start : start + 5000]))
            .values(next_attempt_at=None, updated_at=now),
            execution_options={"synchronize_session": False},
        )
    by_edition: dict[int, list[int]] = {}
    for edition_id, delivery_id in rows:
        by_edition.setdefault(edition_id, []).append(delivery_id)
    return by_edition
