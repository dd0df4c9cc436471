"""Edition numbers for the dashboard: lists, details, clicks.

Counts and progress are ``app.editions.progress``'s (the one definition the
command line shows too), so every figure is the database's truth at the time
of the request and the parts always add up to the recipients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.admin.stats_cache import edition_max_age, store_figure, stored_figures
from app.db import utcnow
from app.editions.errors import EditionNotFound
from app.editions.progress import DeliveryCounts, EditionProgress, delivery_counts, progress_of
from app.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    Event,
    EventKind,
    FeedbackKind,
    Paper,
    ReaderFeedback,
    Subscriber,
)

DELIVERY_PAGE_SIZE = 50


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


def feedback_counts(session: Session, edition_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(likes, dislikes) per edition: readers' current "More / Fewer like this" on its
    digests (an undone word no longer counts). Reads the ``edition_id`` index."""
    result = {edition_id: (0, 0) for edition_id in edition_ids}
    if not edition_ids:
        return result
    rows = session.execute(
        select(ReaderFeedback.edition_id, ReaderFeedback.kind, func.count())
        .where(ReaderFeedback.edition_id.in_(edition_ids))
        .group_by(ReaderFeedback.edition_id, ReaderFeedback.kind)
    )
    for edition_id, kind, number in rows:
        if edition_id not in result:
            continue
        likes, dislikes = result[edition_id]
        if kind == FeedbackKind.LIKE:
            likes = number
        else:
            dislikes = number
        result[edition_id] = (likes, dislikes)
    return result


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
    likes: int = 0
    dislikes: int = 0

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
        # Counted before the edition finished: it may still show pending deliveries.
        ended = (
            edition.finished_at is not None
            and row is not None
            and (row.computed_at < edition.finished_at)
        )
        # A figure stored before likes were counted is recounted once.
        old = row is not None and "likes" not in row.value
        if force or row is None or ended or old or now - row.computed_at > max_age:
            stale.append(edition)
            continue
        value = row.value
        rows[edition.id] = EditionRow(
            edition,
            DeliveryCounts(**value["counts"]),
            value["clicks"],
            value["clickers"],
            row.computed_at,
            value["likes"],
            value["dislikes"],
        )
    ids = [edition.id for edition in stale]
    counts = delivery_counts(session, ids)
    clicks = click_counts(session, ids)
    feedback = feedback_counts(session, ids)
    for edition in stale:
        rows[edition.id] = EditionRow(
            edition, counts[edition.id], *clicks[edition.id], now, *feedback[edition.id]
        )
        value = {
            "counts": counts[edition.id].as_dict(),
            "clicks": clicks[edition.id][0],
            "clickers": clicks[edition.id][1],
            "likes": feedback[edition.id][0],
            "dislikes": feedback[edition.id][1],
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
) -> EditionDetail:
    """An edition with its papers, a page of deliveries (optionally of one status), errors."""
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise EditionNotFound(f"There is no edition {edition_id}.")
    progress = progress_of(session, edition)
    # Live counts (they add up now); clicks may be a few minutes old for a finished send.
    stored = edition_rows(session, [edition])[0]
    row = EditionRow(
        edition,
        progress.counts,
        stored.clicks,
        stored.clickers,
        stored.computed_at,
        stored.likes,
        stored.dislikes,
    )
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
