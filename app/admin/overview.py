"""The overview page's figures: subscribers by status, list growth, recent ingest runs.

Each figure is one indexed query: ``GROUP BY status`` reads the
``(status, created_at)`` index, the growth series reads a range of the
``created_at`` index, so the page stays fast at 100k subscribers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from app.admin.stats_cache import GROWTH_MAX_AGE, STATUS_MAX_AGE, cached_figure
from app.db import utcnow
from app.models import IngestRun, Subscriber, SubscriberStatus


def subscribers_by_status(session: Session) -> dict[SubscriberStatus, int]:
    """Subscriber count for every status (zero for statuses nobody is in)."""
    counts = dict.fromkeys(SubscriberStatus, 0)
    rows = session.execute(
        select(Subscriber.status, func.count()).group_by(Subscriber.status)
    ).all()
    for status, number in rows:
        counts[SubscriberStatus(status)] = number
    return counts


@dataclass(frozen=True)
class GrowthPoint:
    day: date
    new: int
    total: int


def _day_of(session: Session, column: InstrumentedAttribute[datetime]) -> ColumnElement[date]:
    if session.get_bind().dialect.name == "postgresql":
        # The UTC calendar day, whatever the connection's TimeZone is.
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def subscriber_growth(
    session: Session, *, days: int, today: date | None = None
) -> list[GrowthPoint]:
    """Sign-ups per UTC day over the last ``days`` days, with the running total of sign-ups."""
    today = today or utcnow().date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), tzinfo=UTC)
    before = session.scalar(
        select(func.count()).select_from(Subscriber).where(Subscriber.created_at < start)
    )
    day = _day_of(session, Subscriber.created_at).label("day")
    per_day: dict[date, int] = {}
    for value, number in session.execute(
        select(day, func.count()).where(Subscriber.created_at >= start).group_by(day)
    ):
        key = value if isinstance(value, date) else date.fromisoformat(str(value))
        per_day[key] = number
    points: list[GrowthPoint] = []
    total = before or 0
    for offset in range(days):
        current = first + timedelta(days=offset)
        total += per_day.get(current, 0)
        points.append(GrowthPoint(current, per_day.get(current, 0), total))
    return points


def status_figure(
    session: Session, *, max_age_seconds: int = STATUS_MAX_AGE, not_before: datetime | None = None
) -> tuple[dict[SubscriberStatus, int], datetime]:
    """``subscribers_by_status``, reused for up to ``max_age_seconds``.

    ``not_before``: recount if the stored figure is older (the overview passes the
    start of the edition it shows, so subscribers and recipients are of one moment).
    """
    value, computed_at = cached_figure(
        session,
        key="subscribers.by_status",
        max_age_seconds=max_age_seconds,
        not_before=not_before,
        compute=lambda: {s.value: n for s, n in subscribers_by_status(session).items()},
    )
    return {s: int(value.get(s.value, 0)) for s in SubscriberStatus}, computed_at


def growth_figure(
    session: Session, *, days: int, max_age_seconds: int = GROWTH_MAX_AGE
) -> tuple[list[GrowthPoint], datetime]:
    """``subscriber_growth`` up to today, reused for up to ``max_age_seconds``."""
    today = utcnow().date()
    value, computed_at = cached_figure(
        session,
        key=f"subscribers.growth.{days}.{today.isoformat()}",
        max_age_seconds=max_age_seconds,
        compute=lambda: [
            [p.day.isoformat(), p.new, p.total]
            for p in subscriber_growth(session, days=days, today=today)
        ],
    )
    points = [GrowthPoint(date.fromisoformat(d), int(new), int(total)) for d, new, total in value]
    return points, computed_at


def recent_ingest_runs(session: Session, *, limit: int = 5, offset: int = 0) -> list[IngestRun]:
    return list(
        session.scalars(
            select(IngestRun).order_by(IngestRun.started_at.desc()).limit(limit).offset(offset)
        )
    )


def count_ingest_runs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IngestRun)) or 0
