"""Who gets which papers: the one seam between the database and the ranker.

The ranker (``app.ranking``) is pure code over plain dataclasses; this module
turns rows into them, set-based, for a whole chunk of subscribers at once:

- ``prepared_edition``: the edition's candidates (``CandidatePaper`` with the
  upvote velocity from the day's snapshots and the featured day) and a rolling
  corpus of recent papers plus the stored papers readers brought (old ones
  included: a seed is only used when the corpus has it), passed through
  ``prepare_edition`` once per process
  and edition (the fit is deterministic for an edition, so every chunk a worker
  sends reuses it instead of refitting TF-IDF and LSA);
- ``subscriber_profiles``: ``SubscriberProfile`` per subscriber, with clicked
  papers, papers shown but not clicked, everything already sent, and the
  reader's "more / fewer like this" (liked papers join the seed papers, disliked
  ones are never sent again and count against papers like them), from three
  queries for the whole chunk.

The send path, the admin preview (``app.editions.digests``) and the sample digest
all go through here, then ``rank_subscribers`` in one batch call; ``paperboy
recommend`` calls the same ``prepare_edition`` / ``rank_subscribers`` on a file.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import (
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    Paper,
    PaperFeature,
    PaperSnapshot,
    Subscriber,
    SubscriberStatus,
)
from app.ranking import (
    CandidatePaper,
    PreparedEdition,
    SubscriberProfile,
    candidate_from,
    prepare_edition,
    reader_profile,
)
from app.ranking.feedback import MIN_CLICKS
from app.ranking.trending import upvote_velocity as trend_velocity
from app.subscriptions.papers import ReaderPapers, feedback_of

# How far back a subscriber's history (clicks, papers shown) counts.
HISTORY_DAYS = 90
# Brought papers added to an edition's corpus beyond the recent ones: bounds the fit.
MAX_BROUGHT_IN_CORPUS = 5_000
# Prepared editions kept per process: today's slots and a preview or two.
_CACHE_SIZE = 4
_cache: OrderedDict[Hashable, PreparedEdition] = OrderedDict()
_cache_lock = threading.Lock()


def edition_as_of(edition_date: date, created_at: datetime | None = None) -> datetime:
    """The moment an edition is ranked "as of": its creation, at the latest the end of its day.

    Fixed per edition (not "now"), so every chunk, retry and preview ranks the
    same way, and an edition sent for a past date sees that date's recency.
    """
    end_of_day = datetime.combine(edition_date + timedelta(days=1), time(0), tzinfo=UTC)
    return min(created_at, end_of_day) if created_at is not None else end_of_day


def prepared_edition(
    session: Session,
    *,
    paper_ids: Sequence[str],
    edition_date: date,
    as_of: datetime,
    settings: Settings,
    cache_key: Hashable | None = None,
) -> PreparedEdition:
    """The ranker's view of an edition, fitted once per process for each ``cache_key``.

    ``cache_key`` must change whenever the inputs do (callers pass the edition's
    id with its creation time); ``None`` means do not cache.
    """
    key = None
    if cache_key is not None:
        key = (
            session.get_bind().engine.url.render_as_string(),
            cache_key,
            tuple(paper_ids),
            settings.ranking_backend,
        )
        with _cache_lock:
            cached = _cache.get(key)
            if cached is not None:
                _cache.move_to_end(key)
                return cached
    candidates = candidate_papers_for(session, paper_ids, as_of=as_of)
    corpus = recent_corpus(session, until=edition_date, days=settings.ranking_corpus_days)
    corpus += brought_corpus(session, exclude={p.arxiv_id for p in corpus})
    prepared = prepare_edition(
        candidates, corpus=corpus, now=as_of, backend=settings.ranking_backend
    )
    if key is not None:
        with _cache_lock:
            _cache[key] = prepared
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return prepared


def candidate_papers_for(
    session: Session, arxiv_ids: Sequence[str], *, as_of: datetime
) -> list[CandidatePaper]:
    """``CandidatePaper`` for each known id, in the order given."""
    papers = {
        p.arxiv_id: p
        for p in session.scalars(select(Paper).where(Paper.arxiv_id.in_(list(arxiv_ids))))
    }
    ids = [p.id for p in papers.values()]
    featured = _featured_on(session, ids, until=as_of.date())
    velocity = upvote_velocity(session, ids, start=as_of - timedelta(days=1), end=as_of)
    return [
        candidate_from(
            papers[a],
            featured_on=featured.get(papers[a].id),
            upvote_velocity=velocity.get(papers[a].id, 0.0),
        )
        for a in arxiv_ids
        if a in papers
    ]


def recent_corpus(session: Session, *, until: date, days: int) -> list[CandidatePaper]:
    """Papers featured or published in the ``days`` up to ``until``: what TF-IDF is fitted
    on and where seed and clicked papers are looked up."""
    since = until - timedelta(days=days)
    featured_recently = (
        select(PaperFeature.paper_id)
        .where(PaperFeature.featured_on >= since, PaperFeature.featured_on <= until)
        .scalar_subquery()
    )
    start = datetime.combine(since, time(0), tzinfo=UTC)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=UTC)
    rows = session.scalars(
        select(Paper)
        .where(
            or_(
                Paper.id.in_(featured_recently),
                Paper.published_at.between(start, end),
            )
        )
        .order_by(Paper.id)
    ).all()
    featured = _featured_on(session, [p.id for p in rows], until=until)
    return [candidate_from(p, featured_on=featured.get(p.id)) for p in rows]


def brought_corpus(
    session: Session, *, exclude: set[str], limit: int = MAX_BROUGHT_IN_CORPUS
) -> list[CandidatePaper]:
    """The stored papers that open subscriptions bring, not in ``exclude`` (at most ``limit``,
    the most recently stored first), so the ranker can use them as seeds whatever their age.

    One pass over the subscribers who bring any (the column is JSON, so not indexed):
    it runs once per prepared edition, not per reader.
    """
    brought: dict[str, None] = {}
    rows = session.scalars(
        select(Subscriber.seed_papers).where(
            Subscriber.status.in_([SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED]),
            func.json_array_length(Subscriber.seed_papers) > 0,
        )
    )
    for seeds in rows:
        for arxiv_id in seeds or []:
            if isinstance(arxiv_id, str) and arxiv_id not in exclude:
                brought[arxiv_id] = None
    if not brought:
        return []
    papers: list[Paper] = []
    ids = list(brought)
    for start in range(0, len(ids), 500):
        papers += session.scalars(select(Paper).where(Paper.arxiv_id.in_(ids[start : start + 500])))
    papers.sort(key=lambda p: p.id, reverse=True)
    kept = papers[:limit]
    featured = _featured_on(session, [p.id for p in kept], until=date.max)
    return [candidate_from(p, featured_on=featured.get(p.id)) for p in kept]


def _featured_on(session: Session, paper_ids: Sequence[int], *, until: date) -> dict[int, date]:
    """Each paper's latest featured day up to ``until``."""
    if not paper_ids:
        return {}
    rows = session.execute(
        select(PaperFeature.paper_id, func.max(PaperFeature.featured_on))
        .where(PaperFeature.paper_id.in_(list(paper_ids)), PaperFeature.featured_on <= until)
        .group_by(PaperFeature.paper_id)
    ).all()
    return {paper_id: day for paper_id, day in rows if day is not None}


def upvote_velocity(
    session: Session, paper_ids: Sequence[int], *, start: datetime, end: datetime
) -> dict[int, float]:
    """Upvotes gained per hour between each paper's first and last snapshot in (start, end].

    The ranker asks for the 24 hours before an edition's moment: a paper still
    collecting votes then is taking off; one whose snapshots stopped changing
    scores 0. The admin's papers page asks for one UTC day.
    """
    if not paper_ids:
        return {}
    rows = session.execute(
        select(PaperSnapshot.paper_id, PaperSnapshot.fetched_at, PaperSnapshot.upvotes)
        .where(
            PaperSnapshot.paper_id.in_(list(paper_ids)),
            PaperSnapshot.fetched_at > start,
            PaperSnapshot.fetched_at <= end,
        )
        .order_by(PaperSnapshot.paper_id, PaperSnapshot.fetched_at)
    ).all()
    readings: dict[int, list[tuple[datetime, int]]] = {}
    for paper_id, fetched_at, upvotes in rows:
        readings.setdefault(paper_id, []).append((fetched_at, upvotes))
    velocity = {paper_id: trend_velocity(points) for paper_id, points in readings.items()}
    return {paper_id: rate for paper_id, rate in velocity.items() if rate > 0}


def subscriber_profiles(
    session: Session,
    subscribers: Sequence[Subscriber],
    *,
    default_k: int,
    now: datetime,
    exclude_edition_id: int | None = None,
    sent_since: datetime | None = None,
) -> list[SubscriberProfile]:
    """The ranker's profile of each subscriber, in the order given.

    History comes from a few queries for the whole batch: click events, and the
    picks of deliveries already sent (all of them are ``already_sent``; those
    not clicked are ``shown_not_clicked``). ``sent_since`` bounds the search
    for papers already sent: no candidate can have been sent before it was
    stored (the caller passes the oldest candidate's ``created_at``), so a
    daily send does not parse months of digests per reader. Only readers with
    enough clicks for the click model get their longer history of papers shown.
    ``exclude_edition_id`` leaves the edition being ranked out of the history,
    so a preview of an edition that went out shows what was sent.
    """
    ids = [s.id for s in subscribers]
    history_start = now - timedelta(days=HISTORY_DAYS)
    clicked = _clicked(session, ids, since=history_start)
    # A day's margin for clocks that disagree between the ingest host and this one.
    recent_start = (
        max(sent_since - timedelta(days=1), history_start) if sent_since else history_start
    )
    shown = _shown(session, ids, since=recent_start, exclude=exclude_edition_id)
    learners = [i for i in ids if len(clicked.get(i, ())) >= MIN_CLICKS]
    if learners and recent_start > history_start:
        shown.update(_shown(session, learners, since=history_start, exclude=exclude_edition_id))
    said = feedback_of(session, ids)
    profiles = []
    for s in subscribers:
        told = said.get(s.id) or ReaderPapers()
        profiles.append(
            reader_profile(
                s.id,
                interests=s.interests or "",
                topics=s.topics or [],
                seed_papers=s.seed_papers or [],
                liked=told.liked,
                disliked=told.disliked,
                clicked=clicked.get(s.id, []),
                shown=shown.get(s.id, []),
                k=s.digest_size or default_k,
            )
        )
    return profiles


def _clicked(
    session: Session, subscriber_ids: Sequence[int], *, since: datetime
) -> dict[int, list[str]]:
    """Clicked arXiv ids per subscriber, oldest first, each once (at its latest click)."""
    if not subscriber_ids:
        return {}
    rows = session.execute(
        select(Event.subscriber_id, Event.arxiv_id)
        .where(
            Event.subscriber_id.in_(list(subscriber_ids)),
            Event.kind == EventKind.CLICK,
            Event.created_at >= since,
            Event.arxiv_id.is_not(None),
        )
        .order_by(Event.created_at, Event.id)
    )
    ordered: dict[int, dict[str, None]] = {}
    for subscriber_id, arxiv_id in rows:
        if subscriber_id is not None and arxiv_id is not None:
            papers = ordered.setdefault(subscriber_id, {})
            papers.pop(arxiv_id, None)
            papers[arxiv_id] = None
    return {key: list(papers) for key, papers in ordered.items()}


def _shown(
    session: Session, subscriber_ids: Sequence[int], *, since: datetime, exclude: int | None
) -> dict[int, list[str]]:
    """arXiv ids in each subscriber's sent digests (picks and trending), oldest first."""
    if not subscriber_ids:
        return {}
    query = select(Delivery.subscriber_id, Delivery.picks).where(
        Delivery.subscriber_id.in_(list(subscriber_ids)),
        Delivery.status == DeliveryStatus.SENT,
        Delivery.sent_at >= since,
    )
    if exclude is not None:
        query = query.where(Delivery.edition_id != exclude)
    shown: dict[int, dict[str, None]] = {}
    for row in session.execute(query.order_by(Delivery.sent_at, Delivery.id)):
        subscriber_id: int = row[0]
        record: list[dict[str, Any]] = row[1] or []
        papers = shown.setdefault(subscriber_id, {})
        for pick in record:
            papers[pick["arxiv_id"]] = None
    return {key: list(papers) for key, papers in shown.items()}
