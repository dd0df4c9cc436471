"""Papers in the dashboard: the papers featured on a day, ranked, and the days available."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.admin.stats_cache import cached_figure
from app.db import utcnow
from app.editions.progress import OVER
from app.editions.ranking_inputs import upvote_velocity
from app.models import Delivery, DeliveryStatus, Edition, Paper, PaperFeature
from app.ranking.candidates import candidate_from
from app.ranking.trending import trending_score


@dataclass
class DayPaper:
    paper: Paper
    trending_score: float


def papers_of_day(session: Session, *, day: date, now: datetime | None = None) -> list[DayPaper]:
    """The papers featured on ``day``, most trending first, by the ranker's trending score."""
    now = now or utcnow()
    papers = list(
        session.scalars(
            select(Paper)
            .join(PaperFeature, PaperFeature.paper_id == Paper.id)
            .where(PaperFeature.featured_on == day)
        )
    )
    start = datetime.combine(day, time(0), tzinfo=UTC)
    velocity = upvote_velocity(
        session,
        [p.id for p in papers],
        start=start - timedelta(microseconds=1),
        end=start + timedelta(days=1) - timedelta(microseconds=1),
    )
    scored = [
        DayPaper(
            paper,
            trending_score(
                candidate_from(paper, featured_on=day, upvote_velocity=velocity.get(paper.id, 0.0)),
                now,
            ),
        )
        for paper in papers
    ]
    return sorted(scored, key=lambda item: (-item.trending_score, item.paper.arxiv_id))


def todays_edition_for(session: Session, *, day: date) -> Edition | None:
    return session.scalars(
        select(Edition).where(Edition.edition_date == day).order_by(Edition.id.desc()).limit(1)
    ).first()


def paper_reach(session: Session, *, edition_id: int) -> dict[str, int]:
    """In how many of the edition's digests each paper is (from the deliveries' picks).

    Picks are laid out when a delivery is prepared, so during a send this grows
    towards the final figure; failed and skipped deliveries do not count.
    """
    counted = [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT]
    if session.get_bind().dialect.name == "postgresql":
        pg_picks = func.json_array_elements(Delivery.picks).table_valued("value")
        picks = pg_picks.render_derived(name="pick")
        arxiv_id: ColumnElement[Any] = picks.c.value.op("->>")("arxiv_id")
    else:
        picks = func.json_each(Delivery.picks).table_valued("value").alias("pick")
        arxiv_id = func.json_extract(picks.c.value, "$.arxiv_id")
    rows = session.execute(
        select(arxiv_id, func.count().label("n"))
        .select_from(Delivery)
        .join(picks, true())
        .where(Delivery.edition_id == edition_id, Delivery.status.in_(counted))
        .group_by(arxiv_id)
    )
    return {str(row[0]): row.n for row in rows if row[0] is not None}


# Pages reuse a stored reach this long; ``admin.refresh_dashboard`` (every minute)
# recomputes it for the editions in flight, so a page view (the public paper page
# included) almost never reads a million digests' picks itself (2 s at 160k sent).
REACH_MAX_AGE = 900
# A finished edition's reach no longer moves (a retry puts it back in flight).
FINISHED_REACH_MAX_AGE = 7 * 86400


def paper_reach_figure(
    session: Session, *, edition: Edition, max_age_seconds: int = REACH_MAX_AGE
) -> dict[str, int]:
    """``paper_reach``, stored and reused (it reads every digest's picks).

    A figure stored before the edition finished is recounted once it has.
    """
    over = edition.status in OVER
    value, _ = cached_figure(
        session,
        key=f"edition.{edition.id}.reach",
        max_age_seconds=max(max_age_seconds, FINISHED_REACH_MAX_AGE) if over else max_age_seconds,
        not_before=edition.finished_at if over else None,
        compute=lambda: paper_reach(session, edition_id=edition.id),
    )
    return {str(k): int(v) for k, v in value.items()}
