"""What the ranker works on: candidate papers, subscriber profiles, and its answer.

These are plain frozen dataclasses so the ranker stays free of the database; the
edition builder (or the ``recommend`` command) converts rows or parsed API items
into them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, Protocol


@dataclass(frozen=True)
class CandidatePaper:
    """One paper that may go into an edition, with the signals the ranker uses."""

    arxiv_id: str
    title: str
    abstract: str = ""
    ai_keywords: list[str] = field(default_factory=list)
    ai_summary: str | None = None
    upvotes: int = 0
    # Upvotes per hour, from the snapshots of the day; 0 when unknown.
    upvote_velocity: float = 0.0
    github_stars: int | None = None
    num_comments: int = 0
    published_at: datetime | None = None
    featured_on: date | None = None
    authors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SubscriberProfile:
    """What one subscriber told us and what we have seen them do."""

    key: int
    interests: str = ""
    topics: list[str] = field(default_factory=list)
    seed_papers: list[str] = field(default_factory=list)
    clicked: list[str] = field(default_factory=list)
    shown_not_clicked: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    k: int = 7
    # "Fewer like this": papers like these rank lower (put them in already_sent too).
    disliked: list[str] = field(default_factory=list)


def reader_profile(
    key: int,
    *,
    interests: str = "",
    topics: Sequence[str] = (),
    seed_papers: Sequence[str] = (),
    liked: Sequence[str] = (),
    disliked: Sequence[str] = (),
    clicked: Sequence[str] = (),
    shown: Sequence[str] = (),
    k: int = 7,
) -> SubscriberProfile:
    """A reader's profile from what they told us and did: the one place this is built.

    The send path (``app.editions.ranking_inputs``) and the relevance benchmark both
    call it, so the benchmark measures what a reader gets. A liked paper ("More like
    this") is a seed paper, the newest last (the newest seeds count and name the
    reason); a disliked one ("Fewer like this") is never sent again and counts against
    papers like it; papers shown (``shown``, oldest first) are never repeated, and those
    not clicked are weak negatives for the click model.
    """
    liked_set = set(liked)
    clicked_set = set(clicked)
    seen = list(shown)
    return SubscriberProfile(
        key=key,
        interests=interests,
        topics=list(topics),
        seed_papers=[a for a in seed_papers if a not in liked_set] + list(liked),
        clicked=list(clicked),
        shown_not_clicked=[a for a in seen if a not in clicked_set],
        already_sent=[*seen, *disliked] if disliked else seen,
        k=k,
        disliked=list(disliked),
    )


class Pick(NamedTuple):
    """One paper in a digest: its id, its final score, and the reason we give."""

    arxiv_id: str
    score: float
    why: str


@dataclass(frozen=True)
class Digest:
    """The ranked picks for one subscriber, in the order to show them.

    The order is MMR's (diversity), so a pick's ``score`` (its blended relevance
    and trending, in [0, 1]) can be slightly above the one before it.

    ``trending_fallback`` is true when nothing personal could be ranked (no
    interests, or nothing today matched them) and the picks are simply today's
    trending papers; every ``why`` then says so. ``notes`` carries remarks about
    the profile itself, e.g. a seed paper id we do not know.
    """

    subscriber_key: int
    picks: list[Pick]
    trending_fallback: bool = False
    notes: list[str] = field(default_factory=list)


class PaperRecord(Protocol):
    """What a stored paper, a row of its columns and a parsed API item all carry.

    The text fields (``abstract``, ``ai_keywords``, ``ai_summary``, ``authors``) are
    read when present: a trending listing selects only the counts.
    """

    @property
    def arxiv_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def upvotes(self) -> int: ...
    @property
    def github_stars(self) -> int | None: ...
    @property
    def num_comments(self) -> int: ...
    @property
    def published_at(self) -> datetime | None: ...


def candidate_from(
    paper: PaperRecord, *, featured_on: date | None, upvote_velocity: float = 0.0
) -> CandidatePaper:
    """The ranker's view of a paper, stored or parsed (the one place this is built).

    Velocity comes from the day's upvote snapshots; 0 when unknown (a single parse).
    """
    return CandidatePaper(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        abstract=getattr(paper, "abstract", None) or "",
        ai_keywords=list(getattr(paper, "ai_keywords", None) or []),
        ai_summary=getattr(paper, "ai_summary", None),
        upvotes=paper.upvotes,
        upvote_velocity=upvote_velocity,
        github_stars=paper.github_stars,
        num_comments=paper.num_comments,
        published_at=paper.published_at,
        featured_on=featured_on,
        authors=list(getattr(paper, "authors", None) or []),
    )


def as_of(papers: Sequence[CandidatePaper]) -> datetime:
    """The moment a set of papers describes: the end of its latest featured day.

    Ranking a saved file "as of now" would make every paper in an old file equally
    ancient; taking the file's own last day keeps recency meaningful and the
    output reproducible.
    """
    days = [p.featured_on for p in papers if p.featured_on is not None]
    if days:
        return datetime.combine(max(days), time(0), tzinfo=UTC) + timedelta(days=1)
    published = [p.published_at for p in papers if p.published_at is not None]
    return max(published) if published else datetime.now(UTC)
