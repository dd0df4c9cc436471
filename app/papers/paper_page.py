"""One paper's page: the card in full, its upvote history, the editions that carried it
and in how many digests, and the papers the ranker finds most like it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin.papers import paper_reach_figure
from app.ingest.curves import curve_of
from app.models import Edition, EditionStatus, Paper, PaperFeature
from app.papers.cards import (
    PaperCard,
    Readings,
    card_for,
    readings_between,
    readings_curve,
    sparkline,
)
from app.papers.cards import Sparkline as Chart
from app.papers.search import similar_cards

# An edition's candidates are the day's papers plus unsent ones of the days before.
EDITION_REACH_DAYS = 7
SIMILAR = 5
HISTORY_START = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EditionMention:
    edition_date: date
    slot: str
    digests: int


@dataclass(frozen=True)
class PaperPage:
    card: PaperCard
    featured_days: list[date]
    history: Chart | None
    readings: Readings
    editions: list[EditionMention]
    similar: list[PaperCard]

    @property
    def digests(self) -> int:
        return sum(e.digests for e in self.editions)


def paper_and_days(session: Session, arxiv_id: str) -> tuple[Paper | None, list[date]]:
    """The paper and the days it was featured, oldest first (one round trip)."""
    rows = session.execute(
        select(Paper, PaperFeature.featured_on)
        .outerjoin(PaperFeature, PaperFeature.paper_id == Paper.id)
        .where(Paper.arxiv_id == arxiv_id)
    ).all()
    if not rows:
        return None, []
    return rows[0][0], sorted(day for _, day in rows if day is not None)


def _editions(session: Session, paper: Paper, days: list[date]) -> list[EditionMention]:
    if not days:
        return []
    rows = session.scalars(
        select(Edition)
        .where(
            Edition.edition_date >= min(days),
            Edition.edition_date <= max(days) + timedelta(days=EDITION_REACH_DAYS),
            Edition.status.in_([EditionStatus.SENDING, EditionStatus.FINISHED]),
        )
        .order_by(Edition.edition_date, Edition.slot)
    )
    mentions = []
    for edition in rows:
        if paper.arxiv_id not in (edition.paper_ids or []):
            continue
        reach = paper_reach_figure(session, edition=edition).get(paper.arxiv_id, 0)
        mentions.append(EditionMention(edition.edition_date, edition.slot, reach))
    return mentions


def paper_page(
    session: Session, arxiv_id: str, *, now: datetime, corpus_days: int
) -> PaperPage | None:
    """Everything the paper's page shows; None for a paper we do not have."""
    paper, days = paper_and_days(session, arxiv_id)
    if paper is None:
        return None
    readings = readings_between(session, [paper.id], HISTORY_START, now + timedelta(minutes=1))
    readings_of_paper = readings.get(paper.id, [])
    featured_on = days[-1] if days else None
    card = card_for(
        paper,
        rank=0,
        featured_on=featured_on,
        curve=curve_of(readings_of_paper, featured_on) if featured_on else None,
        full=True,
    )
    return PaperPage(
        card=card,
        featured_days=days,
        history=sparkline(readings_curve(readings_of_paper)),
        readings=readings_of_paper,
        editions=_editions(session, paper, days),
        similar=similar_cards(
            session, paper, featured_on=card.featured_on, k=SIMILAR, corpus_days=corpus_days
        ),
    )
