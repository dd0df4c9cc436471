"""What can be done to an edition once it exists: send now, pause, resume, cancel, retry.

Written once, for the admin's buttons, the send loop's automatic pause and the
command line alike. Each action locks the edition row, so a double-clicked
button or two admins at once cannot apply it twice; asking for the state an
edition is already in changes nothing and says so (``changed=False``); an
action that makes no sense in the edition's state raises ``EditionStateError``
with a sentence saying why. With ``enqueue=True``, deliveries to send are
queued as ``editions.send_chunk`` jobs once the caller commits; without, they
are due now and recovery (or ``paperboy send``) hands them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.editions.errors import EditionNotFound, EditionStateError
from app.editions.service import chunk_ids, enqueue_chunks, fan_out_edition, open_edition
from app.models import Delivery, DeliveryStatus, Edition, EditionStatus


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
        raise EditionNotFound(f"There is no edition {edition_id}.")
    session.refresh(edition)
    return edition


def _queued(chunks: list[list[int]]) -> int:
    return sum(len(chunk) for chunk in chunks)


def start_sending(
    session: Session, *, edition_id: int, settings: Settings, enqueue: bool = False
) -> ActionResult:
    """Fan a draft edition out to everyone due (or resume a paused one) now."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.SENDING:
        return ActionResult(edition, False, "This edition is already sending.")
    if edition.status == EditionStatus.PAUSED:
        return resume_edition(session, edition_id=edition_id, settings=settings, enqueue=enqueue)
    if edition.status in (EditionStatus.FINISHED, EditionStatus.CANCELLED):
        raise EditionStateError(f"This edition is {edition.status.value}; it cannot be sent.")
    chunks = fan_out_edition(session, edition_id=edition_id, settings=settings, enqueue=enqueue)
    if edition.status == EditionStatus.FINISHED:
        reason = edition.pause_reason or "nobody is due"
        return ActionResult(edition, True, f"Nothing to send: {reason}.")
    return ActionResult(edition, True, f"Sending started: {_queued(chunks)} digests queued.")


def send_date_now(
    session: Session, *, edition_date: date, settings: Settings, enqueue: bool = False
) -> ActionResult:
    """Open the edition of ``edition_date`` (or find it) and send it to everyone due now:
    ``paperboy send``'s work, for the dashboard (which does not wait for the end)."""
    edition, chunks = open_edition(
        session, edition_date=edition_date, settings=settings, enqueue=enqueue
    )
    if chunks:
        return ActionResult(edition, True, f"Sending started: {_queued(chunks)} digests queued.")
    if edition.status == EditionStatus.PAUSED:
        return ActionResult(edition, False, "This edition is paused: resume it here.")
    if edition.status == EditionStatus.SENDING:
        return ActionResult(edition, False, "This edition is already sending.")
    reason = edition.pause_reason or "nobody else is due"
    return ActionResult(
        edition, False, f"Nothing more to send for {edition_date.isoformat()}: {reason}."
    )


def pause_edition(
    session: Session, *, edition_id: int, reason: str = "Paused by an admin."
) -> ActionResult:
    """Stop handing out deliveries; those already in flight finish."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.PAUSED:
        return ActionResult(edition, False, "This edition is already paused.")
    if edition.status != EditionStatus.SENDING:
        raise EditionStateError(
            f"Only a sending edition can be paused; this one is {edition.status.value}."
        )
    edition.status = EditionStatus.PAUSED
    edition.pause_reason = reason
    return ActionResult(edition, True, "Paused. Deliveries already in flight will finish.")


def resume_edition(
    session: Session, *, edition_id: int, settings: Settings, enqueue: bool = False
) -> ActionResult:
    """Continue a paused edition: its pending deliveries are due now and queued again."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.SENDING:
        return ActionResult(edition, False, "This edition is already sending.")
    if edition.status != EditionStatus.PAUSED:
        raise EditionStateError(
            f"Only a paused edition can be resumed; this one is {edition.status.value}."
        )
    edition.status = EditionStatus.SENDING
    edition.pause_reason = None
    chunks = _requeue_pending(session, edition_id, settings, enqueue)
    return ActionResult(edition, True, f"Resumed: {_queued(chunks)} pending digests queued.")


def cancel_edition(session: Session, *, edition_id: int) -> ActionResult:
    """Stop for good: deliveries not yet handed out are marked skipped."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.CANCELLED:
        return ActionResult(edition, False, "This edition is already cancelled.")
    if edition.status == EditionStatus.FINISHED:
        raise EditionStateError("This edition has finished; there is nothing left to cancel.")
    now = utcnow()
    edition.status = EditionStatus.CANCELLED
    edition.finished_at = now
    result = session.execute(
        update(Delivery)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error="edition cancelled", updated_at=now),
        execution_options={"synchronize_session": False},
    )
    skipped = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return ActionResult(edition, True, f"Cancelled; {skipped} pending deliveries skipped.")


def retry_failed(
    session: Session, *, edition_id: int, settings: Settings, enqueue: bool = False
) -> ActionResult:
    """Give failed deliveries a fresh set of attempts (bounces are final and stay)."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.CANCELLED:
        raise EditionStateError("This edition was cancelled; its failures are not retried.")
    now = utcnow()
    result = session.execute(
        update(Delivery)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.FAILED)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    retried = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if not retried:
        return ActionResult(edition, False, "There are no failed deliveries to retry.")
    if edition.status == EditionStatus.FINISHED:
        edition.status = EditionStatus.SENDING
        edition.finished_at = None
    if edition.status == EditionStatus.SENDING:
        _requeue_pending(session, edition_id, settings, enqueue)
        note = ""
    else:
        note = " They go out when it is resumed."
    return ActionResult(edition, True, f"{retried} failed deliveries queued again.{note}")


def _requeue_pending(
    session: Session, edition_id: int, settings: Settings, enqueue: bool
) -> list[list[int]]:
    now = utcnow()
    ids = sorted(
        session.scalars(
            select(Delivery.id).where(
                Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING
            )
        ).all()
    )
    # Without a job queued here, recovery picks them up on its next run (due now).
    session.execute(
        update(Delivery)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
        .values(next_attempt_at=None if enqueue else now, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    chunks = chunk_ids(ids, settings.send_chunk_size)
    if enqueue:
        enqueue_chunks(session, settings=settings, edition_id=edition_id, chunks=chunks)
    return chunks
