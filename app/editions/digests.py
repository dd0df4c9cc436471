"""From subscribers to digests: rank, pick the trending extras, build what to render.

The seam between the database and the mailer: papers become ``PaperView`` (with
every outside URL checked again), subscribers become ``Reader`` (with their
manage and unsubscribe links), and the mailer renders them.

Shared by the send pipeline and the admin preview (``render_digest_for``), so a
preview is exactly what would be sent, except that its links go straight to
their destinations instead of through click tracking.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.editions.audience import candidate_papers
from app.editions.ranking_inputs import edition_as_of, prepared_edition, subscriber_profiles
from app.feedback.links import FEEDBACK_KINDS
from app.mailer.render import (
    DigestItem,
    DigestRenderer,
    LinkBuilder,
    PaperView,
    Reader,
    RenderedDigest,
    authors_line,
    keywords_shown,
    paper_date,
    stars_label,
    summarise,
)
from app.models import Delivery, DeliveryStatus, Edition, Paper, PaperFeature, Subscriber
from app.ranking import (
    Digest,
    PreparedEdition,
    RankingParams,
    SubscriberProfile,
    rank_subscribers,
)
from app.subscriptions.feed import feed_url
from app.subscriptions.papers import feedback_token
from app.subscriptions.tokens import TokenPurpose, subscriber_link, token_minter
from app.topics import TOPICS
from app.urls import safe_http_url

_PHRASE_SPLIT = re.compile(r"[,;\n]+")
RANKING = RankingParams()


@dataclass
class EditionKit:
    """Everything about an edition that is the same for every reader (built once)."""

    edition_date: date
    renderer: DigestRenderer
    ranking: PreparedEdition
    trending: list[tuple[str, str]]  # (arxiv id, reason) in the ranker's trending order
    edition_id: int | None = None
    # When the oldest candidate was stored: nothing older can have been sent already.
    oldest_candidate_at: datetime | None = None
    # arXiv id -> the paper's row id (what a feedback link names).
    paper_keys: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PreparedDigest:
    subscriber_id: int
    token_version: int  # the reader's, signed into the click links (feedback ones check it)
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
    session: Session,
    *,
    paper_ids: Sequence[str],
    edition_date: date,
    settings: Settings,
    as_of: datetime | None = None,
    edition_id: int | None = None,
    cache_key: Hashable | None = None,
) -> EditionKit:
    """Renderer and prepared ranking for a list of candidate papers (trending order)."""
    papers = {
        paper.arxiv_id: paper
        for paper in session.scalars(select(Paper).where(Paper.arxiv_id.in_(list(paper_ids))))
    }
    ordered = [papers[arxiv_id] for arxiv_id in paper_ids if arxiv_id in papers]
    day = trending_day(session, [p.id for p in ordered], edition_date=edition_date)
    renderer = DigestRenderer(
        [paper_view(paper, base_url=settings.base_url) for paper in ordered],
        edition_date=edition_date,
        postal_address=settings.postal_address,
        day=day,
        day_url=safe_http_url(f"{settings.base_url.rstrip('/')}/papers/date/{day.isoformat()}"),
    )
    ranking = prepared_edition(
        session,
        paper_ids=[p.arxiv_id for p in ordered],
        edition_date=edition_date,
        as_of=as_of or edition_as_of(edition_date),
        settings=settings,
        cache_key=cache_key,
    )
    trending = [
        (
            ranking.ids[column],
            trending_section_phrase(int(ranking.trending_rank[column])),
        )
        for column in np.argsort(ranking.trending_rank, kind="stable").tolist()
    ]
    oldest = min((p.created_at for p in ordered), default=None)
    keys = {p.arxiv_id: p.id for p in ordered}
    return EditionKit(edition_date, renderer, ranking, trending, edition_id, oldest, keys)


def trending_day(session: Session, paper_ids: Sequence[int], *, edition_date: date) -> date:
    """The day whose papers the edition's trending section lists: the latest featured day
    of its candidates up to the edition's date (a Monday edition may carry Friday's)."""
    day: date | None = None
    if paper_ids:
        day = session.scalar(
            select(func.max(PaperFeature.featured_on)).where(
                PaperFeature.paper_id.in_(list(paper_ids)),
                PaperFeature.featured_on <= edition_date,
            )
        )
    return day or edition_date


def trending_section_phrase(rank: int) -> str:
    """Why a paper is in the trending section: its rank and what the rank weighs.

    The upvotes are on the card's line already; the rank also weighs how fast the
    votes come, how fresh the paper is, comments and stars, so #2 may have more votes.
    """
    return f"#{rank} trending today (votes weighed by their pace and age)"


def kit_for_edition(session: Session, edition: Edition, settings: Settings) -> EditionKit:
    return build_kit(
        session,
        paper_ids=edition.paper_ids,
        edition_date=edition.edition_date,
        settings=settings,
        as_of=edition_as_of(edition.edition_date, edition.created_at),
        edition_id=edition.id,
        cache_key=(edition.id, edition.created_at),
    )


def paper_view(paper: Paper, *, base_url: str) -> PaperView:
    """The digest's view of a stored paper (built once per edition, like its card)."""
    # Outside URLs pass the one check again here: a row stored before ingest
    # checked them, or written by hand, never becomes a javascript: link.
    candidates = {
        "paper": paper.hf_url,
        "pdf": safe_http_url(paper.pdf_url) or f"https://arxiv.org/pdf/{paper.arxiv_id}",
        "code": safe_http_url(paper.github_repo),
        "project": safe_http_url(paper.project_page),
    }
    links = {kind: url for kind, url in candidates.items() if url}
    summary = summarise(paper.ai_summary or paper.abstract or "")
    return PaperView(
        arxiv_id=paper.arxiv_id,
        title=" ".join(paper.title.split()),
        authors_line=authors_line(paper.authors),
        organization=paper.organization,
        upvotes=paper.upvotes,
        stars_label=stars_label(paper.github_stars),
        summary=summary,
        summary_wrapped=textwrap.fill(
            summary, width=72, initial_indent="  ", subsequent_indent="  "
        ),
        links=links,
        published_label=paper_date(paper.published_at.date()) if paper.published_at else None,
        comments=paper.num_comments or 0,
        keywords=keywords_shown(paper.ai_keywords or []),
        abstract_url=safe_http_url(f"https://arxiv.org/abs/{paper.arxiv_id}"),
        more_url=safe_http_url(f"{base_url.rstrip('/')}/papers/{paper.arxiv_id}"),
    )


def interest_phrases(subscriber: Subscriber) -> list[str]:
    phrases = [p.strip() for p in _PHRASE_SPLIT.split(subscriber.interests or "") if p.strip()]
    # Topics by their label, as the form and the reasons name them ("Large language models").
    phrases += [TOPICS[t].label if t in TOPICS else t.replace("-", " ") for t in subscriber.topics]
    return phrases


def prepare_digests(
    session: Session, *, kit: EditionKit, subscribers: Sequence[Subscriber], settings: Settings
) -> list[PreparedDigest]:
    """Rank every subscriber in one batch and lay out each digest (picks, then trending)."""
    profiles = subscriber_profiles(
        session,
        subscribers,
        default_k=settings.digest_default_k,
        exclude_edition_id=kit.edition_id,
        now=utcnow(),
        sent_since=kit.oldest_candidate_at,
    )
    ranked = rank_subscribers(kit.ranking, profiles, params=RANKING)
    secret = settings.resolved_secret_key()
    prepared = []
    for subscriber, profile, digest in zip(subscribers, profiles, ranked, strict=True):
        items, scores = _layout(kit, digest, profile.already_sent, settings.digest_trending_count)
        link = partial(
            subscriber_link,
            base_url=settings.base_url,
            secret_key=secret,
            subscriber_id=subscriber.id,
            token_version=subscriber.token_version,
        )
        reader = Reader(
            email=subscriber.email,
            manage_url=link(TokenPurpose.MANAGE),
            unsubscribe_url=link(TokenPurpose.UNSUBSCRIBE),
            interests=interest_phrases(subscriber),
            weekly=subscriber.frequency.value == "weekly",
            trending_fallback=digest.trending_fallback,
            view_url=_view_url(kit, subscriber, settings.base_url, secret),
            feed_url=feed_url(base_url=settings.base_url, secret_key=secret, subscriber=subscriber),
        )
        prepared.append(
            PreparedDigest(
                subscriber.id, subscriber.token_version, subscriber.email, reader, items, scores
            )
        )
    return prepared


def direct_links(
    kit: EditionKit,
    items: Sequence[DigestItem],
    feedback: Mapping[str, tuple[str, str]] | None = None,
) -> LinkBuilder:
    """The links of a digest read on the web: straight to each paper's pages (no click
    tracking), and "More / Fewer like this" to the reader's ``feedback`` pages (inert
    without a reader)."""
    papers = kit.renderer.papers

    def link(item: int, kind: str) -> str:
        arxiv_id = items[item].arxiv_id
        if kind in FEEDBACK_KINDS:
            if feedback is None:
                return "#"
            more, fewer = feedback[arxiv_id]
            return more if kind == "more" else fewer
        return papers[arxiv_id].links[kind]

    return link


def _feedback_urls(
    kit: EditionKit, items: Sequence[DigestItem], subscriber: Subscriber, base_url: str, secret: str
) -> dict[str, tuple[str, str]]:
    """Each pick's signed "More like this" / "Fewer like this" URLs for this reader."""
    base = base_url.rstrip("/")
    urls = {}
    for item in items:
        token = feedback_token(
            secret,
            subscriber=subscriber,
            edition_id=kit.edition_id or 0,
            paper_id=kit.paper_keys[item.arxiv_id],
        )
        urls[item.arxiv_id] = (f"{base}/feedback/more/{token}", f"{base}/feedback/fewer/{token}")
    return urls


def view_token(secret: str, *, subscriber: Subscriber, edition_id: int) -> str:
    """The token of a reader's "View in browser" link for one edition."""
    return token_minter(secret, TokenPurpose.VIEW).item(
        subscriber_id=subscriber.id,
        token_version=subscriber.token_version,
        edition_id=edition_id,
        paper_id=0,
    )


def _view_url(kit: EditionKit, subscriber: Subscriber, base_url: str, secret: str) -> str:
    if kit.edition_id is None:
        return "#"  # a preview of a day with no edition yet: nothing to view on the web
    token = view_token(secret, subscriber=subscriber, edition_id=kit.edition_id)
    return f"{base_url.rstrip('/')}/view/{token}"


def render_sent_digest(
    session: Session, *, subscriber: Subscriber, edition: Edition, settings: Settings
) -> RenderedDigest | None:
    """The digest ``subscriber`` was sent for ``edition``, for the web: the same papers,
    reasons and order as the mail (from the delivery's record), links going straight to
    their destinations. ``None`` when no digest of that edition went to them."""
    picks = session.scalars(
        select(Delivery.picks).where(
            Delivery.edition_id == edition.id,
            Delivery.subscriber_id == subscriber.id,
            Delivery.status == DeliveryStatus.SENT,
        )
    ).first()
    if not picks:
        return None
    kit = kit_for_edition(session, edition, settings)
    items = [
        DigestItem(pick["arxiv_id"], pick["why"], pick["section"])
        for pick in picks
        if pick["arxiv_id"] in kit.renderer.papers
    ]
    [digest] = prepare_digests(session, kit=kit, subscribers=[subscriber], settings=settings)
    feedback = _feedback_urls(
        kit, items, subscriber, settings.base_url, settings.resolved_secret_key()
    )
    return kit.renderer.render(digest.reader, items, direct_links(kit, items, feedback))


def _layout(
    kit: EditionKit, digest: Digest, already_sent: Sequence[str], trending_count: int
) -> tuple[list[DigestItem], list[float]]:
    """The reader's picks, then up to ``trending_count`` trending papers not yet in it."""
    items = [DigestItem(p.arxiv_id, p.why, "picks") for p in digest.picks]
    scores = [p.score for p in digest.picks]
    chosen = {p.arxiv_id for p in digest.picks}
    chosen.update(already_sent)
    for arxiv_id, why in kit.trending:
        if len(items) - len(digest.picks) >= trending_count:
            break
        if arxiv_id not in chosen:
            items.append(DigestItem(arxiv_id, why, "trending"))
            scores.append(0.0)
    return items, scores


def render_sample_digest(
    session: Session, *, edition: Edition, settings: Settings, interests: Sequence[str]
) -> RenderedDigest:
    """An edition's digest for a made-up reader with ``interests``, to show the public.

    Nothing of a real subscriber goes in: the address is a placeholder, the
    manage and unsubscribe links are inert, and paper links go straight to
    their pages (no click tracking).
    """
    kit = kit_for_edition(session, edition, settings)
    profile = SubscriberProfile(key=0, interests=", ".join(interests), k=settings.digest_default_k)
    [digest] = rank_subscribers(kit.ranking, [profile], params=RANKING)
    items, _ = _layout(kit, digest, (), settings.digest_trending_count)
    reader = Reader(
        email="you@example.com",
        manage_url="#",
        unsubscribe_url="#",
        interests=list(interests),
        trending_fallback=digest.trending_fallback,
    )
    return kit.renderer.render(reader, items, direct_links(kit, items))


def render_digest_for(
    session: Session, *, subscriber_id: int, edition_date: date, settings: Settings
) -> RenderedDigest:
    """Preview one subscriber's digest for a date with the code that sends it.

    Raises ``LookupError`` for an unknown subscriber and ``ValueError`` when there
    is nothing to send them (no papers, or none they have not had yet).
    """
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
    kit = (
        kit_for_edition(session, edition, settings)
        if edition is not None
        else build_kit(
            session,
            paper_ids=paper_ids,
            edition_date=edition_date,
            settings=settings,
            as_of=edition_as_of(edition_date, utcnow()),
        )
    )
    [digest] = prepare_digests(session, kit=kit, subscribers=[subscriber], settings=settings)
    if not digest.items:
        # The send pipeline skips such a reader rather than mail an empty digest.
        raise ValueError(f"no papers for {edition_date.isoformat()} they have not had yet")
    feedback = _feedback_urls(
        kit, digest.items, subscriber, settings.base_url, settings.resolved_secret_key()
    )
    return kit.renderer.render(
        digest.reader, digest.items, direct_links(kit, digest.items, feedback)
    )
