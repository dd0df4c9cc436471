"""From subscribers to digests: rank, pick the trending extras, build what to render.

Shared by the send pipeline and the admin preview (``render_digest_for``), so a
preview is exactly what would be sent, except that its links go straight to
their destinations instead of through click tracking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.editions.audience import candidate_papers
from app.editions.picks import Candidate, EditionRanking, Profile, trending_reason
from app.mailer.links import manage_url, unsubscribe_url
from app.mailer.render import DigestItem, DigestRenderer, Reader, RenderedDigest, paper_view
from app.models import Delivery, DeliveryStatus, Edition, Event, EventKind, Paper, Subscriber

HISTORY_DAYS = 30
_PHRASE_SPLIT = re.compile(r"[,;\n]+")


@dataclass
class EditionKit:
    """Everything about an edition that is the same for every reader (built once)."""

    edition_date: date
    renderer: DigestRenderer
    ranking: EditionRanking
    trending: list[tuple[str, int]]  # (arxiv id, upvotes) in trending order


@dataclass(frozen=True)
class PreparedDigest:
    subscriber_id: int
    email: str
    reader: Reader
    items: list[DigestItem]
    scores: list[float]

    def picks_record(self, links: list[dict[str, str]]) -> list[dict[str, Any]]:
        """What is stored on the delivery: the papers, why, and the URLs a click may open."""
        return [
            {
                "arxiv_id": item.arxiv_id,
                "score": round(score, 4),
                "why": item.why,
                "section": item.section,
                "links": item_links,
            }
            for item, score, item_links in zip(self.items, self.scores, links, strict=True)
        ]


def build_kit(
    session: Session, *, paper_ids: Sequence[str], edition_date: date, settings: Settings
) -> EditionKit:
    papers = {
        paper.arxiv_id: paper
        for paper in session.scalars(select(Paper).where(Paper.arxiv_id.in_(list(paper_ids))))
    }
    ordered = [papers[arxiv_id] for arxiv_id in paper_ids if arxiv_id in papers]
    renderer = DigestRenderer(
        [paper_view(paper) for paper in ordered],
        edition_date=edition_date,
        postal_address=settings.postal_address,
    )
    ranking = EditionRanking(
        [
            Candidate(
                arxiv_id=p.arxiv_id,
                title=p.title,
                abstract=p.abstract,
                upvotes=p.upvotes,
                ai_keywords=list(p.ai_keywords or []),
            )
            for p in ordered
        ]
    )
    return EditionKit(edition_date, renderer, ranking, [(p.arxiv_id, p.upvotes) for p in ordered])


def kit_for_edition(session: Session, edition: Edition, settings: Settings) -> EditionKit:
    return build_kit(
        session, paper_ids=edition.paper_ids, edition_date=edition.edition_date, settings=settings
    )


def interest_phrases(subscriber: Subscriber) -> list[str]:
    phrases = [p.strip() for p in _PHRASE_SPLIT.split(subscriber.interests or "") if p.strip()]
    phrases += [topic.replace("-", " ").replace("_", " ") for topic in subscriber.topics or []]
    return phrases


def prepare_digests(
    session: Session, *, kit: EditionKit, subscribers: Sequence[Subscriber], settings: Settings
) -> list[PreparedDigest]:
    """Rank every subscriber at once and lay out each digest (picks, then trending)."""
    ids = [s.id for s in subscribers]
    sent = _already_sent(session, ids)
    clicked = _clicked(session, ids)
    profiles = [
        Profile(
            key=s.id,
            interests=s.interests or "",
            topics=list(s.topics or []),
            seed_papers=list(s.seed_papers or []),
            clicked=clicked.get(s.id, []),
            already_sent=sent.get(s.id, []),
            k=s.digest_size or settings.digest_default_k,
        )
        for s in subscribers
    ]
    ranked = kit.ranking.rank(profiles)
    secret = settings.resolved_secret_key()
    prepared = []
    for subscriber, digest in zip(subscribers, ranked, strict=True):
        items = [DigestItem(p.arxiv_id, p.why, "picks") for p in digest.picks]
        scores = [p.score for p in digest.picks]
        chosen = {p.arxiv_id for p in digest.picks}
        seen = set(sent.get(subscriber.id, []))
        extra = 0
        for rank, (arxiv_id, upvotes) in enumerate(kit.trending):
            if extra >= settings.digest_trending_count:
                break
            if arxiv_id in chosen or arxiv_id in seen:
                continue
            items.append(DigestItem(arxiv_id, trending_reason(rank, upvotes), "trending"))
            scores.append(0.0)
            extra += 1
        reader = Reader(
            email=subscriber.email,
            manage_url=manage_url(
                settings.base_url, secret, subscriber.id, subscriber.token_version
            ),
            unsubscribe_url=unsubscribe_url(
                settings.base_url, secret, subscriber.id, subscriber.token_version
            ),
            interests=interest_phrases(subscriber),
            weekly=subscriber.frequency.value == "weekly",
            trending_fallback=digest.trending_fallback,
        )
        prepared.append(PreparedDigest(subscriber.id, subscriber.email, reader, items, scores))
    return prepared


def _already_sent(session: Session, subscriber_ids: Sequence[int]) -> dict[int, list[str]]:
    since = utcnow() - timedelta(days=HISTORY_DAYS)
    sent: dict[int, list[str]] = {}
    rows = session.execute(
        select(Delivery.subscriber_id, Delivery.picks).where(
            Delivery.subscriber_id.in_(list(subscriber_ids)),
            Delivery.status == DeliveryStatus.SENT,
            Delivery.sent_at >= since,
        )
    )
    for row in rows:
        subscriber_id: int = row[0]
        picks: list[dict[str, Any]] = row[1] or []
        sent.setdefault(subscriber_id, []).extend(p["arxiv_id"] for p in picks)
    return sent


def _clicked(session: Session, subscriber_ids: Sequence[int]) -> dict[int, list[str]]:
    since = utcnow() - timedelta(days=90)
    clicked: dict[int, list[str]] = {}
    rows = session.execute(
        select(Event.subscriber_id, Event.arxiv_id).where(
            Event.subscriber_id.in_(list(subscriber_ids)),
            Event.kind == EventKind.CLICK,
            Event.created_at >= since,
            Event.arxiv_id.is_not(None),
        )
    )
    for subscriber_id, arxiv_id in rows:
        if subscriber_id is not None and arxiv_id is not None:
            clicked.setdefault(subscriber_id, []).append(arxiv_id)
    return clicked


def render_digest_for(
    session: Session, *, subscriber_id: int, edition_date: date, settings: Settings
) -> RenderedDigest:
    """Preview one subscriber's digest for a date with the code that sends it."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise LookupError(f"there is no subscriber {subscriber_id}")
    edition = session.scalars(
        select(Edition).where(Edition.edition_date == edition_date).order_by(Edition.id)
    ).first()
    paper_ids = (
        edition.paper_ids
        if edition is not None
        else candidate_papers(
            session, edition_date=edition_date, lookback_days=settings.edition_lookback_days
        )
    )
    kit = build_kit(session, paper_ids=paper_ids, edition_date=edition_date, settings=settings)
    [digest] = prepare_digests(session, kit=kit, subscribers=[subscriber], settings=settings)
    papers = kit.renderer.papers

    def direct(item: int, kind: str) -> str:
        return papers[digest.items[item].arxiv_id].links[kind]

    return kit.renderer.render(digest.reader, digest.items, direct)
