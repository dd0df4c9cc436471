"""Who is due for an edition, and which papers it may contain.

Send slots: the slot ``"daily"`` (what ``paperboy send --date D`` and the admin
use) means every active subscriber due on D, whatever their send hour. The
hourly beat job sends slot ``"hHH"`` (UTC hour HH) to the subscribers whose
local time is then their ``send_hour`` (a subscriber with an unknown time zone
is treated as UTC and sent at ``settings.send_hour_utc``). Weekly subscribers are
due on their ``weekly_day`` (local day for hourly slots). Nobody is due twice on
one date: a subscriber with a delivery in another edition of the same date is
left out, so the daily CLI run and the hourly slots never double up.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from app.models import (
    Delivery,
    Edition,
    Frequency,
    Paper,
    PaperFeature,
    Subscriber,
    SubscriberStatus,
)
from app.subscriptions.suppression import suppressed

DAILY_SLOT = "daily"


def hourly_slot(hour_utc: int) -> str:
    return f"h{hour_utc:02d}"


def slot_hour(slot: str) -> int | None:
    """The UTC hour of an hourly slot, None for the daily slot."""
    if slot.startswith("h") and slot[1:].isdigit():
        return int(slot[1:])
    return None


def due_subscribers(session: Session, *, edition: Edition, send_hour_utc: int) -> Select[int]:
    """Ids of the subscribers due for ``edition`` (a SELECT for insert-from-select)."""
    due = _schedule_filter(session, edition, send_hour_utc)
    same_day_elsewhere = exists().where(
        Delivery.subscriber_id == Subscriber.id,
        Delivery.edition_id == Edition.id,
        Edition.edition_date == edition.edition_date,
        Edition.id != edition.id,
    )
    query: Select[int] = select(Subscriber.id).where(
        Subscriber.status == SubscriberStatus.ACTIVE,
        due,
        ~suppressed(func.lower(Subscriber.email)),
        ~same_day_elsewhere,
    )
    return query


def _schedule_filter(session: Session, edition: Edition, send_hour_utc: int) -> ColumnElement[bool]:
    day = edition.edition_date
    hour = slot_hour(edition.slot)
    if hour is None:
        return or_(
            Subscriber.frequency == Frequency.DAILY,
            and_(Subscriber.frequency == Frequency.WEEKLY, Subscriber.weekly_day == day.weekday()),
        )
    instant = datetime.combine(day, time(hour), tzinfo=UTC)
    zones = session.scalars(
        select(Subscriber.timezone).where(Subscriber.status == SubscriberStatus.ACTIVE).distinct()
    ).all()
    clauses: list[ColumnElement[bool]] = []
    for name in zones:
        try:
            local = instant.astimezone(ZoneInfo(name))
            by_hour: ColumnElement[bool] = Subscriber.send_hour == local.hour
        except (ZoneInfoNotFoundError, ValueError):
            local = instant
            by_hour = false() if hour != send_hour_utc else Subscriber.id.is_not(None)
        clauses.append(
            and_(
                Subscriber.timezone == name,
                by_hour,
                or_(
                    Subscriber.frequency == Frequency.DAILY,
                    Subscriber.weekly_day == local.weekday(),
                ),
            )
        )
    return or_(*clauses) if clauses else false()


def candidate_papers(session: Session, *, edition_date: date, lookback_days: int) -> list[str]:
    """arXiv ids of the papers an edition may contain, in trending order.

    The papers featured on the day come first, then those of the previous
    ``lookback_days`` days (they still matter to a subscriber who has not
    received them; the ranker never repeats a paper to the same person).
    """
    since = edition_date - timedelta(days=lookback_days)
    rows = session.execute(
        select(Paper.arxiv_id, PaperFeature.featured_on, Paper.upvotes)
        .join(PaperFeature, PaperFeature.paper_id == Paper.id)
        .where(PaperFeature.featured_on <= edition_date, PaperFeature.featured_on >= since)
    ).all()
    latest: dict[str, tuple[date, int]] = {}
    for arxiv_id, featured_on, upvotes in rows:
        if arxiv_id not in latest or featured_on > latest[arxiv_id][0]:
            latest[arxiv_id] = (featured_on, upvotes)
    return sorted(latest, key=lambda a: (latest[a][0] != edition_date, -latest[a][1], a))
