"""A day's, week's or month's featured papers, in trending order, with their neighbours.

Ranked by the digest's own trending score (``app.ranking.trending``), each paper
as of the end of its featured day (or now, for today), so a week or a month
compares papers at the same age; the upvote velocity comes from that day's
snapshots, as the edition's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Label, Row, func, select
from sqlalchemy.orm import Session

from app.ingest.curves import CurvePoints, day_start
from app.models import Paper, PaperFeature
from app.papers.cards import CARD_COLUMNS, PaperCard, card_for
from app.papers.periods import Period, period_of
from app.ranking.candidates import candidate_from
from app.ranking.trending import curve_velocity, trending_score

# A day is listed whole; a week or a month shows its best papers.
LIMIT = {"day": 200, "week": 100, "month": 100}
_RANKED = (
    Paper.id,
    Paper.arxiv_id,
    Paper.title,
    Paper.upvotes,
    Paper.num_comments,
    Paper.github_stars,
    Paper.published_at,
)


@dataclass(frozen=True)
class PeriodListing:
    period: Period
    cards: list[PaperCard]
    total: int
    previous: Period | None
    next: Period | None
    # For an empty period: the nearest day that has papers.
    nearest_day: date | None


def latest_featured_day(session: Session) -> date | None:
    day: date | None = session.scalar(select(func.max(PaperFeature.featured_on)))
    return day


def day_to_send(session: Session, today: date) -> date:
    """The day an admin's preview or "send now" starts on: today, or, when today has no
    papers yet (after `paperboy demo`, say), the latest day that has some."""
    latest = latest_featured_day(session)
    return latest if latest is not None and latest < today else today


def _neighbour_days(period: Period) -> tuple[Label[date], Label[date]]:
    """The nearest featured days before and after the period, as two columns that the
    database evaluates once per statement (they ride along with the period's rows)."""
    column = PaperFeature.featured_on
    return (
        select(func.max(column)).where(column < period.start).scalar_subquery().label("before"),
        select(func.min(column)).where(column > period.end).scalar_subquery().label("after"),
    )


def period_listing(session: Session, period: Period, *, now: datetime) -> PeriodListing:
    """The period's featured papers ranked by trending score, and where to go next."""
    # A day is shown whole, so its cards come with the first query; a week or a month
    # ranks on the narrow columns and reads whole cards for the papers it shows.
    whole = period.kind == "day"
    in_period = (PaperFeature.featured_on >= period.start, PaperFeature.featured_on <= period.end)
    neighbours = _neighbour_days(period)
    featured: dict[int, date] = {}
    # Each paper's latest featured day in the period, and that day's upvote curve.
    curves: dict[int, CurvePoints] = {}
    rows: dict[int, Row[Any]] = {}
    columns = CARD_COLUMNS if whole else _RANKED
    for row in session.execute(
        select(PaperFeature.featured_on, PaperFeature.upvote_curve, *columns, *neighbours)
        .join(Paper, Paper.id == PaperFeature.paper_id)
        .where(*in_period)
    ):
        if row.featured_on >= featured.get(row.id, row.featured_on):
            featured[row.id] = row.featured_on
            curves[row.id] = row.upvote_curve or []
        rows[row.id] = row
    # Every row carries the neighbouring days; an empty period asks for them alone.
    first = next(iter(rows.values()), None)
    ends = first if first is not None else session.execute(select(*neighbours)).one()
    before: date | None = ends.before
    after: date | None = ends.after
    scored = []
    for paper_id, row in rows.items():
        day = featured[paper_id]
        as_of = min(now, day_start(day) + timedelta(days=1))
        # The velocity over the readings before then (seconds into the day).
        until = (as_of - day_start(day)).total_seconds()
        before_then = [(at, votes) for at, votes in curves[paper_id] if at < until]
        candidate = candidate_from(
            row, featured_on=day, upvote_velocity=curve_velocity(before_then)
        )
        scored.append((-trending_score(candidate, as_of), -row.upvotes, row.arxiv_id, paper_id))
    scored.sort()
    top = [paper_id for *_, paper_id in scored[: LIMIT[period.kind]]]
    if not whole and top:
        rows = {p.id: p for p in session.execute(select(*CARD_COLUMNS).where(Paper.id.in_(top)))}
    cards = [
        card_for(
            rows[paper_id],
            rank=rank,
            featured_on=featured[paper_id],
            curve=curves[paper_id],
        )
        for rank, paper_id in enumerate(top, start=1)
    ]
    nearest = None
    if not cards:
        options = [d for d in (before, after) if d is not None]
        nearest = min(options, key=lambda d: abs((d - period.start).days), default=None)
    return PeriodListing(
        period=period,
        cards=cards,
        total=len(featured),
        previous=period_of(period.kind, before) if before else None,
        next=period_of(period.kind, after) if after else None,
        nearest_day=nearest,
    )
