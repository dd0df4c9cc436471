"""Subscribers in the dashboard: search, detail, manual unsubscribe/suppress, CSV export.

Search is an email *prefix* search (``email LIKE 'abc%'``), which the unique
email index answers as a range scan; listing without a search walks the
``created_at`` (or ``(status, created_at)``) index newest first. Either way a
page costs a few index pages, not a scan of the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    Event,
    EventKind,
    Subscriber,
    SubscriberStatus,
    Suppression,
    SuppressionReason,
)
from app.subscriptions.importing import FORMULA_STARTS
from app.subscriptions.papers import ReaderPapers, feedback_of
from app.subscriptions.service import revoke_tokens, unsubscribe
from app.subscriptions.suppression import Suppress, suppress_addresses, suppression_of
from app.subscriptions.validation import address_forms, address_key

PAGE_SIZE = 50
# A search counts its matches up to this many, then says "10,000+".
COUNT_UP_TO = 10_000
EXPORT_COLUMNS = [
    # The import columns first, so an export can be imported again as it is.
    "email",
    "interests",
    "topics",
    "frequency",
    "send_hour",
    "timezone",
    "status",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
    "consent_at",
    "consent_source",
]


class SubscriberNotFound(NotFound):
    """No subscriber has this id."""


@dataclass
class SubscriberPage:
    subscribers: list[Subscriber]
    total: int
    page: int
    page_size: int
    more: bool = False
    """True when more than ``total`` match (a search counts up to ``COUNT_UP_TO``)."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefix_match(prefix: str, dialect: str) -> ColumnElement[bool]:
    """``email LIKE 'prefix%'`` plus the byte range it implies, spelled so the index is used.

    Given only the LIKE, PostgreSQL misjudges how many rows match and may walk the
    whole email index in order instead; the explicit range (``~>=~``/``~<~`` are
    the operators of the text_pattern_ops index; SQLite compares bytes anyway)
    makes it a short range scan.
    """
    condition = Subscriber.email.like(_escape_like(prefix) + "%", escape="\\")
    if ord(prefix[-1]) >= 0x10FFFF:
        return condition
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    if dialect == "postgresql":
        low, high = Subscriber.email.op("~>=~")(prefix), Subscriber.email.op("~<~")(upper)
        return and_(low, high, condition)
    return and_(Subscriber.email >= prefix, Subscriber.email < upper, condition)


def _spellings(prefix: str) -> set[str]:
    """What ``prefix`` may be stored as, each searched as a range scan: as typed (an address
    stored with capitals), and in both forms of an internationalised domain
    (``address_forms``), so ``ada@xn--bcher-kva.example`` finds ``ada@bücher.example``
    and the reverse. A domain label typed halfway has no ASCII form to match: the
    IDNA encoding of ``büch`` is not the start of that of ``bücher``."""
    return {prefix, *address_forms(address_key(prefix))}


def search_statement(
    query: str, status: SubscriberStatus | None, dialect: str
) -> Select[Subscriber]:
    statement = select(Subscriber)
    prefix = query.strip()
    if prefix:
        statement = statement.where(or_(*(_prefix_match(p, dialect) for p in _spellings(prefix))))
    if status is not None:
        statement = statement.where(Subscriber.status == status)
    return statement


def search_subscribers(
    session: Session,
    *,
    query: str = "",
    status: SubscriberStatus | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    known_total: int | None = None,
    count_up_to: int | None = None,
) -> SubscriberPage:
    """One page of subscribers whose email starts with ``query``, optionally of one status.

    ``known_total`` (e.g. the stored count by status) saves counting the whole
    table when there is no search text. Otherwise matches are counted up to
    ``count_up_to`` (default ``COUNT_UP_TO``) and the page says there are more:
    a one-letter search of a million readers would count them all on every view.
    """
    statement = search_statement(query, status, session.get_bind().dialect.name)
    total = known_total
    more = False
    if total is None:
        cap = COUNT_UP_TO if count_up_to is None else count_up_to
        counted = statement.with_only_columns(Subscriber.id).limit(cap + 1).subquery()
        total = session.scalar(select(func.count()).select_from(counted)) or 0
        more = total > cap
        total = min(total, cap)
    if query.strip():
        ordered = statement.order_by(Subscriber.email)
    else:
        ordered = statement.order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
    subscribers = list(
        session.scalars(ordered.limit(page_size).offset((max(page, 1) - 1) * page_size))
    )
    return SubscriberPage(subscribers, total, max(page, 1), page_size, more)


@dataclass
class ReceivedDigest:
    delivery: Delivery
    edition_date: str
    clicks: int


@dataclass
class SubscriberDetail:
    subscriber: Subscriber
    digests_sent: int
    clicks_total: int
    deliveries: list[ReceivedDigest] = field(default_factory=list)
    recent_clicks: list[Event] = field(default_factory=list)
    suppression: Suppression | None = None
    told: ReaderPapers = field(default_factory=ReaderPapers)  # liked / disliked papers


def subscriber_detail(session: Session, *, subscriber_id: int) -> SubscriberDetail:
    """A subscriber with their last digests (and clicks on each) and their suppression, if any."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise SubscriberNotFound(f"there is no subscriber {subscriber_id}")
    digests_sent = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.subscriber_id == subscriber.id, Delivery.status == DeliveryStatus.SENT)
    )
    clicks_by_delivery = dict(
        session.execute(
            select(Event.delivery_id, func.count())
            .where(Event.subscriber_id == subscriber.id, Event.kind == EventKind.CLICK)
            .group_by(Event.delivery_id)
        ).all()
    )
    rows = session.execute(
        select(Delivery, Edition.edition_date)
        .join(Edition, Edition.id == Delivery.edition_id)
        .where(Delivery.subscriber_id == subscriber.id)
        .order_by(Delivery.created_at.desc())
        .limit(30)
    ).all()
    deliveries = [
        ReceivedDigest(delivery, day.isoformat(), clicks_by_delivery.get(delivery.id, 0))
        for delivery, day in rows
    ]
    recent_clicks = list(
        session.scalars(
            select(Event)
            .where(Event.subscriber_id == subscriber.id, Event.kind == EventKind.CLICK)
            .order_by(Event.created_at.desc())
            .limit(20)
        )
    )
    suppression = suppression_of(session, subscriber.email)
    return SubscriberDetail(
        subscriber,
        digests_sent or 0,
        sum(clicks_by_delivery.values()),
        deliveries,
        recent_clicks,
        suppression,
        feedback_of(session, [subscriber.id]).get(subscriber.id) or ReaderPapers(),
    )


def _get(session: Session, subscriber_id: int) -> Subscriber:
    subscriber = session.get(Subscriber, subscriber_id, with_for_update=True)
    if subscriber is None:
        raise SubscriberNotFound(f"there is no subscriber {subscriber_id}")
    return subscriber


def unsubscribe_by_admin(session: Session, *, subscriber_id: int) -> tuple[Subscriber, bool]:
    """Unsubscribe now and revoke their links; (subscriber, whether anything changed).

    The same service as the subscriber's own unsubscribe link; bounced and
    complained subscribers keep their status (they already get nothing).
    """
    subscriber = _get(session, subscriber_id)
    before = subscriber.status
    unsubscribe(session, subscriber=subscriber)
    if subscriber.status == before:
        return subscriber, False
    revoke_tokens(session, subscriber=subscriber)
    return subscriber, True


def suppress_by_admin(
    session: Session, *, subscriber_id: int, detail: str = "suppressed by an admin"
) -> tuple[Subscriber, bool]:
    """Never mail this address again (a suppression row) and unsubscribe them."""
    subscriber, _ = unsubscribe_by_admin(session, subscriber_id=subscriber_id)
    added = suppress_addresses(
        session, [Suppress(subscriber.email, SuppressionReason.MANUAL, detail)]
    )
    return subscriber, added > 0


def export_csv_header() -> str:
    return ",".join(EXPORT_COLUMNS) + "\n"


def export_csv_batch(
    session: Session, *, after_id: int, status: SubscriberStatus | None = None, batch: int = 2000
) -> tuple[str, int | None]:
    """CSV rows of the next ``batch`` subscribers after ``after_id`` (keyset paging, id order).

    Returns the text and the id to continue after, or None when this was the last batch.
    Each batch can run in its own short transaction, so a long export holds no lock.
    """
    statement = select(Subscriber).where(Subscriber.id > after_id)
    if status is not None:
        statement = statement.where(Subscriber.status == status)
    subscribers = list(session.scalars(statement.order_by(Subscriber.id).limit(batch)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for subscriber in subscribers:
        writer.writerow([_defuse_formula(cell) for cell in _export_row(subscriber)])
    last = subscribers[-1].id if len(subscribers) == batch else None
    return buffer.getvalue(), last


def export_csv_chunks(
    session: Session, *, status: SubscriberStatus | None = None, batch: int = 2000
) -> Iterator[str]:
    """The whole export as chunks of CSV text, in one session (for the CLI and tests)."""
    yield export_csv_header()
    after: int | None = 0
    while after is not None:
        text, after = export_csv_batch(session, after_id=after, status=status, batch=batch)
        yield text


def _export_row(subscriber: Subscriber) -> list[str]:
    def when(value: object) -> str:
        return value.isoformat() if hasattr(value, "isoformat") else ""

    return [
        subscriber.email,
        subscriber.interests,
        ";".join(subscriber.topics),
        subscriber.frequency.value,
        str(subscriber.send_hour),
        subscriber.timezone,
        subscriber.status.value,
        when(subscriber.created_at),
        when(subscriber.confirmed_at),
        when(subscriber.unsubscribed_at),
        when(subscriber.consent_at),
        subscriber.consent_source or "",
    ]


def _defuse_formula(text: str) -> str:
    # No cell may run as a spreadsheet formula when opened (OWASP "CSV injection"):
    # not free text, and not an address either (=cmd|' /C calc'!A0@example.org is one).
    # The importer reads such a cell back as it was.
    return "'" + text if text.startswith(FORMULA_STARTS) else text
