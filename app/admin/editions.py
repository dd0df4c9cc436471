"""Edition numbers for the dashboard: delivery counts, live progress, lists and details.

Counts come from ``delivery`` grouped by ``(edition_id, status)``, which the
``ix_delivery_edition_id_status`` index answers without touching the table, so
every figure is the database's truth at the time of the request and the parts
always add up to the recipients (one delivery row per recipient).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.admin.stats_cache import edition_max_age, store_figure, stored_figures
from app.db import utcnow
from app.models import Delivery, DeliveryStatus, Edition, EditionStatus, Event, EventKind, Paper

DELIVERY_PAGE_SIZE = 50


@dataclass
class DeliveryCounts:
    """How many of an edition's deliveries are in each state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0

    @property
    def recipients(self) -> int:
        return self.pending + self.sending + self.sent + self.failed + self.bounced + self.skipped

    @property
    def done(self) -> int:
        """Deliveries that will not be attempted again (unless failures are retried)."""
        return self.sent + self.failed + self.bounced + self.skipped

    @property
    def percent_done(self) -> float:
        return 100.0 * self.done / self.recipients if self.recipients else 0.0

    def as_dict(self) -> dict[str, int]:
        return {status.value: getattr(self, status.value) for status in DeliveryStatus}


def delivery_counts(session: Session, edition_ids: list[int]) -> dict[int, DeliveryCounts]:
    """Delivery counts by status for each of ``edition_ids`` (editions without rows get zeros)."""
    counts = {edition_id: DeliveryCounts() for edition_id in edition_ids}
    if not edition_ids:
        return counts
    rows = session.execute(
        select(Delivery.edition_id, Delivery.status, func.count())
        .where(Delivery.edition_id.in_(edition_ids))
        .group_by(Delivery.edition_id, Delivery.status)
    )
    for edition_id, status, number in rows:
        setattr(counts[edition_id], DeliveryStatus(status).value, number)
    return counts


def click_counts(session: Session, edition_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(clicks, distinct clicking deliveries) per edition."""
    result = {edition_id: (0, 0) for edition_id in edition_ids}
    if not edition_ids:
        return result
    rows = session.execute(
        select(Delivery.edition_id, func.count(), func.count(func.distinct(Event.delivery_id)))
        .join(Delivery, Delivery.id == Event.delivery_id)
        .where(Event.kind == EventKind.CLICK, Delivery.edition_id.in_(edition_ids))
        .group_by(Delivery.edition_id)
    )
    for edition_id, clicks, clickers in rows:
        result[edition_id] = (clicks, clickers)
    return result


@dataclass
class EditionProgress:
    """Where a send stands: counts, how fast it goes, when it should be done."""

    edition: Edition
    counts: DeliveryCounts
    rate_per_minute: float | None
    eta_seconds: int | None

    @property
    def eta_text(self) -> str:
        """The ETA as a person reads it (the page's script formats it the same way)."""
        seconds = self.eta_seconds
        if seconds is None:
            return "—"
        if seconds < 60:
            return f"{seconds} s"
        if seconds < 3600:
            return f"{round(seconds / 60)} min"
        return f"{seconds / 3600:.1f} h"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.edition.id,
            "status": self.edition.status.value,
            "recipients": self.counts.recipients,
            **self.counts.as_dict(),
            "percent": round(self.counts.percent_done, 1),
            "rate_per_minute": (
                None if self.rate_per_minute is None else round(self.rate_per_minute, 1)
            ),
            "eta_seconds": self.eta_seconds,
            "finished": self.edition.status in (EditionStatus.FINISHED, EditionStatus.CANCELLED),
        }


def progress_of(session: Session, edition: Edition, now: datetime | None = None) -> EditionProgress:
    """Progress of ``edition``; the rate is the average since it started sending."""
    counts = delivery_counts(session, [edition.id])[edition.id]
    rate: float | None = None
    eta: int | None = None
    finished = edition.status == EditionStatus.FINISHED and edition.finished_at is not None
    if edition.started_at is not None and (edition.status == EditionStatus.SENDING or finished):
        # A finished edition keeps the average rate of its whole send.
        end = edition.finished_at if finished and edition.finished_at else (now or utcnow())
        elapsed = (end - edition.started_at).total_seconds()
        if elapsed > 0 and counts.done:
            rate = counts.done / elapsed * 60.0
            eta = None if finished else round((counts.pending + counts.sending) / (rate / 60.0))
    return EditionProgress(edition=edition, counts=counts, rate_per_minute=rate, eta_seconds=eta)


def edition_progress(session: Session, *, edition_id: int) -> EditionProgress | None:
    edition = session.get(Edition, edition_id)
    return None if edition is None else progress_of(session, edition)


def todays_edition(session: Session, *, now: datetime | None = None) -> Edition | None:
    """The edition in flight, else today's latest one."""
    sending = session.scalars(
        select(Edition)
        .where(Edition.status.in_([EditionStatus.SENDING, EditionStatus.PAUSED]))
        .order_by(Edition.edition_date.desc(), Edition.id.desc())
        .limit(1)
    ).first()
    if sending is not None:
        return sending
    today = (now or utcnow()).date()
    return session.scalars(
        select(Edition).where(Edition.edition_date == today).order_by(Edition.id.desc()).limit(1)
    ).first()


@dataclass
class EditionRow:
    """One line of an editions table (numbers as of ``computed_at``)."""

    edition: Edition
    counts: DeliveryCounts
    clicks: int
    clickers: int
    computed_at: datetime | None = None

    @property
    def click_rate(self) -> float:
        """Share of delivered digests with at least one click, in percent."""
        return 100.0 * self.clickers / self.counts.sent if self.counts.sent else 0.0


def recent_editions(session: Session, *, limit: int = 10, offset: int = 0) -> list[EditionRow]:
    """The latest editions, newest first, with their delivery and click numbers."""
    editions = list(
        session.scalars(
            select(Edition)
            .order_by(Edition.edition_date.desc(), Edition.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    return edition_rows(session, editions)


def edition_rows(
    session: Session, editions: list[Edition], *, force: bool = False
) -> list[EditionRow]:
    """Rows for ``editions``: stored numbers while fresh, the rest counted in one batch.

    An edition in flight is always counted live; a finished one is reused for a
    few minutes (see ``stats_cache.edition_max_age``).
    """
    now = utcnow()
    keys = {edition.id: f"edition.{edition.id}" for edition in editions}
    stored = stored_figures(session, list(keys.values()))
    rows: dict[int, EditionRow] = {}
    stale: list[Edition] = []
    for edition in editions:
        row = stored.get(keys[edition.id])
        max_age = timedelta(seconds=edition_max_age(edition, now.date()))
        if force or row is None or now - row.computed_at > max_age:
            stale.append(edition)
            continue
        value = row.value
        rows[edition.id] = EditionRow(
            edition,
            DeliveryCounts(**value["counts"]),
            value["clicks"],
            value["clickers"],
            row.computed_at,
        )
    ids = [edition.id for edition in stale]
    counts = delivery_counts(session, ids)
    clicks = click_counts(session, ids)
    for edition in stale:
        rows[edition.id] = EditionRow(edition, counts[edition.id], *clicks[edition.id], now)
        value = {
            "counts": counts[edition.id].as_dict(),
            "clicks": clicks[edition.id][0],
            "clickers": clicks[edition.id][1],
        }
        store_figure(session, key=keys[edition.id], value=value, now=now)
    return [rows[edition.id] for edition in editions]


def count_editions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Edition)) or 0


@dataclass
class DeliveryLine:
    delivery: Delivery
    email: str


@dataclass
class EditionDetail:
    row: EditionRow
    progress: EditionProgress
    papers: list[Paper]
    deliveries: list[DeliveryLine] = field(default_factory=list)
    deliveries_total: int = 0
    errors: list[tuple[str | None, int | None, int]] = field(default_factory=list)


def edition_detail(
    session: Session, *, edition_id: int, status: DeliveryStatus | None = None, page: int = 1
) -> EditionDetail | None:
    """An edition with its papers, a page of deliveries (optionally of one status), errors."""
    from app.models import Subscriber

    edition = session.get(Edition, edition_id)
    if edition is None:
        return None
    progress = progress_of(session, edition)
    # Live counts (they add up now); clicks may be a few minutes old for a finished send.
    stored = edition_rows(session, [edition])[0]
    row = EditionRow(edition, progress.counts, stored.clicks, stored.clickers, stored.computed_at)
    by_id = {
        paper.arxiv_id: paper
        for paper in session.scalars(select(Paper).where(Paper.arxiv_id.in_(edition.paper_ids)))
    }
    papers = [by_id[arxiv_id] for arxiv_id in edition.paper_ids if arxiv_id in by_id]
    query = select(Delivery, Subscriber.email).join(
        Subscriber, Subscriber.id == Delivery.subscriber_id
    )
    query = query.where(Delivery.edition_id == edition.id)
    if status is not None:
        query = query.where(Delivery.status == status)
        total = getattr(progress.counts, status.value)
    else:
        total = progress.counts.recipients
    lines = [
        DeliveryLine(delivery, email)
        for delivery, email in session.execute(
            # (edition_id, subscriber_id) is a unique index: this order is an index walk.
            query.order_by(Delivery.subscriber_id)
            .limit(DELIVERY_PAGE_SIZE)
            .offset((max(page, 1) - 1) * DELIVERY_PAGE_SIZE)
        )
    ]
    errors = [
        (message, code, number)
        for message, code, number in session.execute(
            select(Delivery.last_error, Delivery.smtp_code, func.count())
            .where(
                Delivery.edition_id == edition.id,
                Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.BOUNCED]),
            )
            .group_by(Delivery.last_error, Delivery.smtp_code)
            .order_by(func.count().desc())
            .limit(20)
        )
    ]
    return EditionDetail(row, progress, papers, lines, total, errors)
