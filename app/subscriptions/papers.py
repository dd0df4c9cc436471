"""The papers a reader told us about: "more like this" (liked) and "fewer like this".

A digest carries, per pick, one signed link per (reader, edition, paper); the
link's GET only asks (a mail scanner's fetch records nothing), its POST records
through ``record_feedback``. A reader has one word per paper: saying it again
changes nothing, saying the other replaces it, ``undo_feedback`` removes it.
The ranker reads ``feedback_of`` from the next edition on (see
``app.editions.ranking_inputs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import NotFound
from app.models import FeedbackKind, Paper, ReaderFeedback, Subscriber
from app.subscriptions.errors import TokenError
from app.subscriptions.service import require_open
from app.subscriptions.tokens import ItemClaims, TokenPurpose, read_item_token, token_minter

# The words of the links, as the URL spells them.
LINK_KINDS = {"more": FeedbackKind.LIKE, "fewer": FeedbackKind.DISLIKE}


class FeedbackLinkNotFound(NotFound):
    """A feedback link we did not sign, or whose reader or paper is gone."""

    error_code = "invalid_feedback_link"
    title = "This link is not valid"


@dataclass(frozen=True)
class FeedbackTarget:
    """What a feedback link names: the reader, the paper and the edition that carried it."""

    subscriber: Subscriber
    paper: Paper
    edition_id: int


@dataclass
class ReaderPapers:
    """A reader's liked and disliked arXiv ids, oldest first."""

    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)


def feedback_token(
    secret_key: str, *, subscriber: Subscriber, edition_id: int, paper_id: int
) -> str:
    """The token of one pick's feedback links (``/feedback/more|fewer/TOKEN``)."""
    return token_minter(secret_key, TokenPurpose.FEEDBACK).item(
        subscriber_id=subscriber.id,
        token_version=subscriber.token_version,
        edition_id=edition_id,
        paper_id=paper_id,
    )


def item_link_reader(
    session: Session, *, purpose: TokenPurpose, token: str, secret_key: str
) -> tuple[Subscriber, ItemClaims]:
    """The reader a per-item link (feedback, view) names; ``FeedbackLinkNotFound`` otherwise."""
    try:
        claims = read_item_token(secret_key, purpose, token)
    except TokenError as error:
        raise FeedbackLinkNotFound("This link is not valid.") from error
    subscriber = session.get(Subscriber, claims.subscriber_id)
    if subscriber is None or subscriber.token_version != claims.token_version:
        raise FeedbackLinkNotFound("This link is no longer valid.")
    return subscriber, claims


def feedback_target(session: Session, *, token: str, secret_key: str) -> FeedbackTarget:
    """The reader and paper a feedback token names; ``FeedbackLinkNotFound`` otherwise."""
    subscriber, claims = item_link_reader(
        session, purpose=TokenPurpose.FEEDBACK, token=token, secret_key=secret_key
    )
    paper = session.get(Paper, claims.paper_id)
    if paper is None:
        raise FeedbackLinkNotFound("This link is no longer valid.")
    require_open(subscriber)  # no next digest to steer: say so, record nothing
    return FeedbackTarget(subscriber, paper, claims.edition_id)


def current_feedback(
    session: Session, *, subscriber: Subscriber, arxiv_id: str
) -> ReaderFeedback | None:
    return session.scalars(
        select(ReaderFeedback).where(
            ReaderFeedback.subscriber_id == subscriber.id, ReaderFeedback.arxiv_id == arxiv_id
        )
    ).one_or_none()


def lock_reader(session: Session, subscriber: Subscriber) -> None:
    """Take the reader's row lock and read their brought papers afresh, before a word or
    a bring changes them: two requests of one reader at once (a double click, two tabs)
    then run one after the other. Side by side, both found no word and inserted one (the
    second failed on the unique constraint), and a bring wrote back the brought papers it
    had read before a "fewer like this" dropped one."""
    session.scalars(
        select(Subscriber)
        .where(Subscriber.id == subscriber.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def record_feedback(
    session: Session,
    *,
    subscriber: Subscriber,
    arxiv_id: str,
    kind: FeedbackKind,
    edition_id: int | None = None,
) -> ReaderFeedback:
    """The reader's word on a paper; the same word again changes nothing.

    One word per paper: "fewer like this" on a paper the reader brought stops
    bringing it (as bringing a disliked paper takes the dislike back); the row keeps
    where it stood, for ``take_back_feedback``.
    """
    lock_reader(session, subscriber)
    brought = list(subscriber.seed_papers or [])
    position = brought.index(arxiv_id) if arxiv_id in brought else None
    if kind == FeedbackKind.DISLIKE and position is not None:
        subscriber.seed_papers = [a for a in brought if a != arxiv_id]
    else:
        position = None
    row = current_feedback(session, subscriber=subscriber, arxiv_id=arxiv_id)
    if row is None:
        row = ReaderFeedback(
            subscriber_id=subscriber.id, arxiv_id=arxiv_id, kind=kind, edition_id=edition_id
        )
        session.add(row)
    elif row.kind != kind:
        row.kind, row.edition_id, row.created_at = kind, edition_id, utcnow()
    if position is not None:  # kept through a change of mind: Undo still brings it back
        row.brought_position = position
    session.flush()
    return row


def undo_feedback(session: Session, *, subscriber: Subscriber, arxiv_id: str) -> bool:
    """Forget the reader's word on a paper; False when there was none."""
    row = current_feedback(session, subscriber=subscriber, arxiv_id=arxiv_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def feedback_of(session: Session, subscriber_ids: Sequence[int]) -> dict[int, ReaderPapers]:
    """Liked and disliked papers of each subscriber (one query for the batch)."""
    if not subscriber_ids:
        return {}
    rows = session.execute(
        select(ReaderFeedback.subscriber_id, ReaderFeedback.arxiv_id, ReaderFeedback.kind)
        .where(ReaderFeedback.subscriber_id.in_(list(subscriber_ids)))
        .order_by(ReaderFeedback.created_at, ReaderFeedback.id)
    )
    found: dict[int, ReaderPapers] = {}
    for subscriber_id, arxiv_id, kind in rows:
        papers = found.setdefault(subscriber_id, ReaderPapers())
        (papers.liked if kind == FeedbackKind.LIKE else papers.disliked).append(arxiv_id)
    return found
