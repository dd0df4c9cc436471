"""The suppression list: the one place that says whether an address may be mailed.

Subscribe, import, confirmation mails, every digest send, the admin's test send
and the bounce/complaint handlers all ask ``is_suppressed`` / ``suppressed_among``
and write through ``suppress_addresses``. Addresses are compared in their
canonical form (``address_key``: what ``normalise_email`` stores), so no
spelling of an address slips past the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.db import one_of, utcnow
from app.models import (
    Event,
    EventKind,
    Subscriber,
    SubscriberStatus,
    Suppression,
    SuppressionReason,
)
from app.subscriptions.validation import address_forms, address_key

_SUBSCRIBER_STATUS = {
    SuppressionReason.HARD_BOUNCE: SubscriberStatus.BOUNCED,
    SuppressionReason.COMPLAINT: SubscriberStatus.COMPLAINED,
}
_EVENT_KIND = {
    SuppressionReason.HARD_BOUNCE: EventKind.BOUNCE,
    SuppressionReason.COMPLAINT: EventKind.COMPLAINT,
}


@dataclass(frozen=True)
class Suppress:
    email: str
    reason: SuppressionReason
    detail: str = ""
    delivery_id: int | None = None


def suppress_addresses(session: Session, entries: Sequence[Suppress]) -> int:
    """Never mail these addresses again; returns how many were newly suppressed."""
    if not entries:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    by_email = {address_key(entry.email): entry for entry in entries}
    result = session.execute(
        insert(Suppression)
        .values(
            [
                {"email": email, "reason": e.reason, "detail": e.detail[:2000], "created_at": now}
                for email, e in by_email.items()
            ]
        )
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(Suppression.email)
    )
    added = len(result.all())
    stored = {form for email in by_email for form in address_forms(email)}
    subscribers: dict[str, int] = {
        address_key(email): subscriber_id
        for email, subscriber_id in session.execute(
            # Addresses are stored lowercased (normalise_email), so the unique
            # index on email answers this.
            select(Subscriber.email, Subscriber.id).where(Subscriber.email.in_(list(stored)))
        ).all()
    }
    for reason in _SUBSCRIBER_STATUS:
        emails = [
            form
            for email, e in by_email.items()
            if e.reason == reason
            for form in address_forms(email)
        ]
        if emails:
            session.execute(
                update(Subscriber)
                .where(
                    Subscriber.email.in_(emails),
                    Subscriber.status.in_([SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED]),
                )
                .values(status=_SUBSCRIBER_STATUS[reason], updated_at=now),
                execution_options={"synchronize_session": False},
            )
    session.add_all(
        Event(
            kind=_EVENT_KIND[e.reason],
            subscriber_id=subscribers.get(email),
            delivery_id=e.delivery_id,
            detail={"reason": e.reason.value, "detail": e.detail[:500]},
            created_at=now,
        )
        for email, e in by_email.items()
        if e.reason in _EVENT_KIND
    )
    return added


def _listing(email: str) -> ColumnElement[bool]:
    """A suppression row of ``email``, stored in either spelling of its domain."""
    return Suppression.email.in_(address_forms(address_key(email)))


def is_suppressed(session: Session, email: str) -> bool:
    """True when ``email`` must never be mailed again."""
    return bool(session.scalar(select(exists().where(_listing(email)))))


def suppression_of(session: Session, email: str) -> Suppression | None:
    """The row that suppresses ``email`` (why and since when), or None."""
    return session.scalars(select(Suppression).where(_listing(email))).first()


def suppressed(email: ColumnElement[str] | str) -> ColumnElement[bool]:
    """The check as SQL, for a statement that filters many canonical addresses at once
    (the bulk import's merge joins its staged chunk against the list with it)."""
    return exists().where(Suppression.email == email)


def suppressed_among(session: Session, emails: Iterable[str]) -> set[str]:
    """The canonical forms of those of ``emails`` that are on the list (one query)."""
    keys = {form for email in emails for form in address_forms(address_key(email))}
    if not keys:
        return set()
    dialect = session.get_bind().dialect.name
    # Import asks this per chunk of 1,000: one array parameter, not 1,000 placeholders.
    return {
        address_key(email)
        for email in session.scalars(
            select(Suppression.email).where(one_of(Suppression.email, keys, dialect=dialect))
        )
    }
