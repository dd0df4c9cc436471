"""The papers a reader brings: arXiv papers they name, which steer their digest.

They are the subscriber's ``seed_papers`` (arXiv ids, oldest first): the ranker
treats them as seeds (``app.editions.ranking_inputs``), like the papers a reader
said "More like this" to. A reader brings them from the manage page or the API,
typed (ids, arXiv or Hugging Face links, arXiv DOIs) or from a reference-manager
export (``app.subscriptions.library_files``). Ids we have no paper for wait for
arXiv (``app.ingest.lookups``; the lookup job is enqueued once the request
commits) and count as seeds once stored.

Bounded: at most ``MAX_BROUGHT`` papers per reader and ``MAX_REFERENCES_AT_ONCE``
typed references per request; every reference that is not added says why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import jobs
from app.config import Settings
from app.ingest.lookups import missing_ids, request_lookups
from app.models import Paper, Subscriber
from app.subscriptions.library_files import BroughtReference, reference_from_text
from app.subscriptions.papers import (
    ReaderPapers,
    current_feedback,
    feedback_of,
    lock_reader,
    undo_feedback,
)
from app.subscriptions.service import require_open

MAX_BROUGHT = 100
MAX_REFERENCES_AT_ONCE = 200
LOOKUP_JOB = "ingest.fetch_brought_papers"

PaperState = Literal["stored", "waiting", "missing"]
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class SkippedReference:
    reference: str
    reason: str


@dataclass
class BringReport:
    """What one "bring papers" did: added, already there, skipped (with why)."""

    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped: list[SkippedReference] = field(default_factory=list)
    # Added ids we have no paper for yet: being fetched from arXiv.
    waiting: list[str] = field(default_factory=list)
    brought: int = 0
    limit: int = MAX_BROUGHT


@dataclass(frozen=True)
class SteeringPaper:
    """A paper that steers a reader's digest, as the manage page and the API list it."""

    arxiv_id: str
    title: str | None
    state: PaperState

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"


@dataclass
class SteeringPapers:
    brought: list[SteeringPaper] = field(default_factory=list)
    liked: list[SteeringPaper] = field(default_factory=list)
    disliked: list[SteeringPaper] = field(default_factory=list)


def references_in_text(text: str) -> list[BroughtReference]:
    """The references a reader typed or pasted: one per line, comma or space."""
    words = [word for word in _SEPARATORS.split(text or "") if word]
    references = [reference_from_text(word) for word in words[:MAX_REFERENCES_AT_ONCE]]
    if len(words) > MAX_REFERENCES_AT_ONCE:
        extra = len(words) - MAX_REFERENCES_AT_ONCE
        references.append(
            BroughtReference(
                f"{extra:,} more",
                reason=f"not read: at most {MAX_REFERENCES_AT_ONCE} at a time",
            )
        )
    return references


def bring_papers(
    session: Session,
    *,
    subscriber: Subscriber,
    references: Sequence[BroughtReference],
    settings: Settings,
) -> BringReport:
    """Add the papers ``references`` name to the reader's brought papers.

    A paper brought already (or liked) is reported as such; bringing one the reader
    disliked takes the dislike back. Papers past ``MAX_BROUGHT`` are skipped with
    the reason. Unknown ids are noted for arXiv and fetched after the commit.
    """
    require_open(subscriber)
    lock_reader(session, subscriber)
    report = BringReport()
    brought = list(subscriber.seed_papers or [])
    told = feedback_of(session, [subscriber.id]).get(subscriber.id) or ReaderPapers()
    have = set(brought) | set(told.liked)
    for reference in references:
        if reference.arxiv_id is None:
            report.skipped.append(SkippedReference(reference.label, reference.reason or "unread"))
        elif reference.arxiv_id in have:
            report.already.append(reference.arxiv_id)
        elif len(brought) >= MAX_BROUGHT:
            reason = f"you bring {MAX_BROUGHT} papers already, the most we keep: remove some first"
            report.skipped.append(SkippedReference(reference.label, reason))
        else:
            if reference.arxiv_id in told.disliked:
                undo_feedback(session, subscriber=subscriber, arxiv_id=reference.arxiv_id)
            brought.append(reference.arxiv_id)
            have.add(reference.arxiv_id)
            report.added.append(reference.arxiv_id)
    if report.added:
        subscriber.seed_papers = brought  # a new list: the JSON column sees the change
        report.waiting = request_lookups(session, report.added)
        session.flush()
    if report.waiting:
        jobs.enqueue(LOOKUP_JOB, settings=settings, session=session, background=True)
    report.brought = len(brought)
    return report


def remove_brought(session: Session, *, subscriber: Subscriber, arxiv_id: str) -> bool:
    """Stop bringing one paper; False when the reader did not bring it."""
    lock_reader(session, subscriber)
    brought = list(subscriber.seed_papers or [])
    if arxiv_id not in brought:
        return False
    subscriber.seed_papers = [a for a in brought if a != arxiv_id]
    session.flush()
    return True


def take_back_feedback(session: Session, *, subscriber: Subscriber, arxiv_id: str) -> bool:
    """The feedback page's Undo: the reader's word on the paper forgotten, and a paper
    that "fewer like this" had stopped bringing brought again where it stood (an Undo
    that left it neither brought nor disliked lost it). False when there was no word."""
    lock_reader(session, subscriber)
    row = current_feedback(session, subscriber=subscriber, arxiv_id=arxiv_id)
    if row is None:
        return False
    position = row.brought_position
    undo_feedback(session, subscriber=subscriber, arxiv_id=arxiv_id)
    brought = list(subscriber.seed_papers or [])
    if position is not None and arxiv_id not in brought and len(brought) < MAX_BROUGHT:
        brought.insert(min(position, len(brought)), arxiv_id)
        subscriber.seed_papers = brought
        session.flush()
    return True


def stop_steering(session: Session, *, subscriber: Subscriber, arxiv_id: str) -> bool:
    """The paper no longer steers the digest at all (brought, liked or disliked)."""
    removed = remove_brought(session, subscriber=subscriber, arxiv_id=arxiv_id)
    return undo_feedback(session, subscriber=subscriber, arxiv_id=arxiv_id) or removed


def steering_papers(session: Session, *, subscriber: Subscriber) -> SteeringPapers:
    """Brought, liked and disliked papers with their titles when we have them."""
    told = feedback_of(session, [subscriber.id]).get(subscriber.id) or ReaderPapers()
    brought = list(subscriber.seed_papers or [])
    everything = [*brought, *told.liked, *told.disliked]
    titles: dict[str, str] = {}
    if everything:
        rows = session.execute(
            select(Paper.arxiv_id, Paper.title).where(Paper.arxiv_id.in_(everything))
        )
        titles = {arxiv_id: title for arxiv_id, title in rows}
    gone = missing_ids(session, [a for a in everything if a not in titles])

    def listed(ids: Sequence[str]) -> list[SteeringPaper]:
        return [
            SteeringPaper(
                arxiv_id,
                titles.get(arxiv_id),
                "stored" if arxiv_id in titles else "missing" if arxiv_id in gone else "waiting",
            )
            for arxiv_id in ids
        ]

    return SteeringPapers(listed(brought), listed(told.liked), listed(told.disliked))
