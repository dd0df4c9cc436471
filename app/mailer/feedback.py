"""What comes back from a digest: clicks, opens, bounces and complaints.

Hard bounces and complaints (from SMTP replies, the provider webhook or DSN
messages in a maildir) all end in ``suppress_addresses``: a ``Suppression`` row,
the subscriber's status set to bounced / complained, and an event. The send
pipeline re-checks the suppression list when it claims a delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import utcnow
from app.mailer.links import ClickLinks, verify_open_token
from app.models import (
    Delivery,
    Event,
    EventKind,
    Subscriber,
    SubscriberStatus,
    Suppression,
    SuppressionReason,
)

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
    by_email = {entry.email.strip().lower(): entry for entry in entries}
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
    subscribers: dict[str, int] = dict(
        session.execute(
            # Addresses are stored lowercased (normalise_email), so the unique
            # index on email answers this.
            select(Subscriber.email, Subscriber.id).where(Subscriber.email.in_(list(by_email)))
        ).all()
    )
    for reason in _SUBSCRIBER_STATUS:
        emails = [email for email, e in by_email.items() if e.reason == reason]
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
            kind=_EVENT_KIND.get(e.reason, EventKind.BOUNCE),
            subscriber_id=subscribers.get(email),
            delivery_id=e.delivery_id,
            detail={"reason": e.reason.value, "detail": e.detail[:500]},
            created_at=now,
        )
        for email, e in by_email.items()
    )
    return added


def is_suppressed(session: Session, email: str) -> bool:
    return (
        session.scalar(select(Suppression.id).where(Suppression.email == email.lower())) is not None
    )


def record_click(
    session: Session, *, links: ClickLinks, token: str, user_agent: str | None = None
) -> str | None:
    """The destination of a click token (and the click recorded), or None if invalid.

    The URL comes from what was recorded for the delivery when it was sent, never
    from the token, so the redirect cannot be pointed anywhere else.
    """
    target = links.verify(token)
    if target is None:
        return None
    delivery = session.get(Delivery, target.delivery_id)
    if delivery is None or target.item >= len(delivery.picks):
        return None
    pick: dict[str, Any] = delivery.picks[target.item]
    url = pick.get("links", {}).get(target.kind)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    session.add(
        Event(
            kind=EventKind.CLICK,
            subscriber_id=delivery.subscriber_id,
            delivery_id=delivery.id,
            arxiv_id=pick.get("arxiv_id"),
            url=url,
            detail={"link": target.kind, "section": pick.get("section"), "ua": user_agent},
        )
    )
    return url


def record_open(session: Session, *, links: ClickLinks, token: str, enabled: bool) -> bool:
    """Record an open when open tracking is on and the token is ours."""
    delivery_id = verify_open_token(links, token)
    if not enabled or delivery_id is None:
        return False
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return False
    session.add(
        Event(kind=EventKind.OPEN, subscriber_id=delivery.subscriber_id, delivery_id=delivery.id)
    )
    return True


@dataclass(frozen=True)
class ProviderEvent:
    """A bounce or complaint reported by the mail provider's webhook."""

    type: Literal["bounce", "complaint"]
    email: str
    permanent: bool = True
    detail: str = ""
    message_id: str | None = None


def apply_provider_events(session: Session, events: Iterable[ProviderEvent]) -> int:
    """Suppress the addresses of hard bounces and complaints; soft bounces are only noted."""
    entries: list[Suppress] = []
    for event in events:
        delivery_id = None
        if event.message_id:
            delivery_id = session.scalar(
                select(Delivery.id).where(Delivery.message_id == _angle(event.message_id))
            )
        if event.type == "complaint":
            entries.append(
                Suppress(event.email, SuppressionReason.COMPLAINT, event.detail, delivery_id)
            )
        elif event.permanent:
            entries.append(
                Suppress(event.email, SuppressionReason.HARD_BOUNCE, event.detail, delivery_id)
            )
        else:
            session.add(
                Event(
                    kind=EventKind.BOUNCE,
                    delivery_id=delivery_id,
                    detail={"soft": True, "email": event.email, "detail": event.detail[:500]},
                )
            )
    return suppress_addresses(session, entries)


def _angle(message_id: str) -> str:
    message_id = message_id.strip()
    return message_id if message_id.startswith("<") else f"<{message_id}>"
