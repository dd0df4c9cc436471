"""Papers in the dashboard: the papers featured on a day, ranked, and the days available."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Paper, PaperFeature


@dataclass
class DayPaper:
    paper: Paper
    trending_score: float


def latest_featured_day(session: Session) -> date | None:
    return session.scalar(select(func.max(PaperFeature.featured_on)))


def papers_of_day(session: Session, *, day: date) -> list[DayPaper]:
    """The papers featured on ``day``, most trending first.

    Until the ranking module provides the trending score, the score is the upvotes.
    """
    papers = session.scalars(
        select(Paper)
        .join(PaperFeature, PaperFeature.paper_id == Paper.id)
        .where(PaperFeature.featured_on == day)
        .order_by(Paper.upvotes.desc(), Paper.arxiv_id)
    )
    return [DayPaper(paper, float(paper.upvotes)) for paper in papers]
