"""What an admin can do to an edition: send now, pause, resume, cancel, retry failures.

The state changes themselves are the send pipeline's (``app.editions.service``);
this layer makes each button idempotent and explains the outcome. Asking for
the state an edition is already in changes nothing and says so, and the edition
row is locked while it changes, so a double-clicked button or two admins at once
cannot apply an action twice. Deliveries to send are enqueued with ``enqueue``
once the request commits.

Exceptions::

    EditionActionError      the action makes no sense in the edition's state
    └── EditionNotFound
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.editions import service as pipeline
from app.editions.errors import EditionStateError
from app.editions.service import ChunkEnqueuer
from app.models import Delivery, DeliveryStatus, Edition, EditionStatus


class EditionActionError(Exception):
    """The action cannot be applied to the edition as it is (the message says why)."""


class EditionNotFound(EditionActionError):
    """No edition has this id."""


@dataclass(frozen=True)
class ActionResult:
    edition: Edition
    changed: bool
    message: str


def _locked(session: Session, edition_id: int) -> Edition:
    edition = session.scalars(
        select(Edition).where(Edition.id == edition_id).with_for_update()
    ).first()
    if edition is None:
        raise EditionNotFound(f"there is no edition {edition_id}")
    session.refresh(edition)
    return edition


def _queued(chunks: list[list[int]]) -> int:
    return sum(len(chunk) for chunk in chunks)


def start_sending(
    session: Session, *, edition_id: int, settings: Settings, enqueue: ChunkEnqueuer | None
) -> ActionResult:
    """Fan a draft edition out to everyone due (or resume a paused one) now."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.SENDING:
        return ActionResult(edition, False, "This edition is already sending.")
    if edition.status == EditionStatus.PAUSED:
        return resume_edition(session, edition_id=edition_id, settings=settings, enqueue=enqueue)
    if edition.status in (EditionStatus.FINISHED, EditionStatus.CANCELLED):
        raise EditionActionError(f"This edition is {edition.status.value}; it cannot be sent.")
    try:
        chunks = pipeline.start_edition(
            session, edition_id=edition_id, settings=settings, enqueue=enqueue
        )
    except EditionStateError as error:
        raise EditionActionError(f"It cannot be sent: {error}.") from error
    if edition.status == EditionStatus.FINISHED:
        reason = edition.pause_reason or "nobody is due"
        return ActionResult(edition, True, f"Nothing to send: {reason}.")
    return ActionResult(edition, True, f"Sending started: {_queued(chunks)} digests queued.")


def pause_edition(
    session: Session, *, edition_id: int, reason: str = "Paused by an admin."
) -> ActionResult:
    """Stop handing out deliveries; those already in flight finish."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.PAUSED:
        return ActionResult(edition, False, "This edition is already paused.")
    if edition.status != EditionStatus.SENDING:
        raise EditionActionError(
            f"Only a sending edition can be paused; this one is {edition.status.value}."
        )
    pipeline.pause_edition(session, edition_id=edition_id, reason=reason)
    return ActionResult(edition, True, "Paused. Deliveries already in flight will finish.")


def resume_edition(
    session: Session, *, edition_id: int, settings: Settings, enqueue: ChunkEnqueuer | None
) -> ActionResult:
    """Continue a paused edition: its pending deliveries are queued again."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.SENDING:
        return ActionResult(edition, False, "This edition is already sending.")
    if edition.status != EditionStatus.PAUSED:
        raise EditionActionError(
            f"Only a paused edition can be resumed; this one is {edition.status.value}."
        )
    chunks = pipeline.resume_edition(
        session, edition_id=edition_id, settings=settings, enqueue=enqueue
    )
    return ActionResult(edition, True, f"Resumed: {_queued(chunks)} pending digests queued.")


def cancel_edition(session: Session, *, edition_id: int) -> ActionResult:
    """Stop for good: deliveries not yet handed out are marked skipped."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.CANCELLED:
        return ActionResult(edition, False, "This edition is already cancelled.")
    if edition.status == EditionStatus.FINISHED:
        raise EditionActionError("This edition has finished; there is nothing left to cancel.")
    pending = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
    )
    pipeline.cancel_edition(session, edition_id=edition_id)
    return ActionResult(edition, True, f"Cancelled; {pending or 0} pending deliveries skipped.")


def retry_failed(
    session: Session, *, edition_id: int, settings: Settings, enqueue: ChunkEnqueuer | None
) -> ActionResult:
    """Put failed deliveries back in the queue (bounces are final and stay as they are)."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.CANCELLED:
        raise EditionActionError("This edition was cancelled; its failures are not retried.")
    retried = pipeline.retry_failed(
        session, edition_id=edition_id, settings=settings, enqueue=enqueue
    )
    if not retried:
        return ActionResult(edition, False, "There are no failed deliveries to retry.")
    note = "" if edition.status == EditionStatus.SENDING else " They go out when it is resumed."
    return ActionResult(edition, True, f"{retried} failed deliveries queued again.{note}")
