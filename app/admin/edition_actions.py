"""What an admin can do to an edition: send now, pause, resume, cancel, retry failures.

Every action is idempotent: asking for the state an edition is already in
changes nothing and says so, and the edition row is locked while it changes,
so a double-clicked button or two admins at once cannot apply it twice. The
caller enqueues the actual sending (after commit) when ``needs_sending`` is set.

Exceptions::

    EditionActionError      the action makes no sense in the edition's state
    └── EditionNotFound
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
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
    needs_sending: bool = False


def _locked(session: Session, edition_id: int) -> Edition:
    edition = session.scalars(
        select(Edition).where(Edition.id == edition_id).with_for_update()
    ).first()
    if edition is None:
        raise EditionNotFound(f"there is no edition {edition_id}")
    session.refresh(edition)
    return edition


def _rowcount(session: Session, statement: Update) -> int:
    result = session.execute(statement)
    return result.rowcount if isinstance(result, CursorResult) else 0


def start_sending(session: Session, *, edition_id: int) -> ActionResult:
    """Mark a draft (or paused) edition as sending now; the caller fans out and enqueues."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.SENDING:
        return ActionResult(edition, False, "This edition is already sending.")
    if edition.status in (EditionStatus.FINISHED, EditionStatus.CANCELLED):
        raise EditionActionError(f"This edition is {edition.status.value}; it cannot be sent.")
    edition.status = EditionStatus.SENDING
    edition.pause_reason = None
    edition.started_at = edition.started_at or utcnow()
    return ActionResult(edition, True, "Sending started.", needs_sending=True)


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
    edition.status = EditionStatus.PAUSED
    edition.pause_reason = reason
    return ActionResult(edition, True, "Paused. Deliveries already in flight will finish.")


def resume_edition(session: Session, *, edition_id: int) -> ActionResult:
    """Continue a paused edition."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.SENDING:
        return ActionResult(edition, False, "This edition is already sending.")
    if edition.status != EditionStatus.PAUSED:
        raise EditionActionError(
            f"Only a paused edition can be resumed; this one is {edition.status.value}."
        )
    edition.status = EditionStatus.SENDING
    edition.pause_reason = None
    return ActionResult(edition, True, "Resumed.", needs_sending=True)


def cancel_edition(session: Session, *, edition_id: int) -> ActionResult:
    """Stop for good: deliveries not yet handed out are marked skipped."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.CANCELLED:
        return ActionResult(edition, False, "This edition is already cancelled.")
    if edition.status == EditionStatus.FINISHED:
        raise EditionActionError("This edition has finished; there is nothing left to cancel.")
    skipped = _rowcount(
        session,
        update(Delivery)
        .where(Delivery.edition_id == edition.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error="edition cancelled", updated_at=utcnow())
        .execution_options(synchronize_session=False),
    )
    edition.status = EditionStatus.CANCELLED
    edition.finished_at = utcnow()
    return ActionResult(edition, True, f"Cancelled; {skipped} pending deliveries skipped.")


def retry_failed(session: Session, *, edition_id: int) -> ActionResult:
    """Put failed deliveries back in the queue (bounces are final and stay as they are)."""
    edition = _locked(session, edition_id)
    if edition.status == EditionStatus.CANCELLED:
        raise EditionActionError("This edition was cancelled; its failures are not retried.")
    retried = _rowcount(
        session,
        update(Delivery)
        .where(Delivery.edition_id == edition.id, Delivery.status == DeliveryStatus.FAILED)
        .values(
            status=DeliveryStatus.PENDING,
            # A fresh start: the mailer's attempt limit would otherwise fail them at once.
            attempts=0,
            next_attempt_at=None,
            lease_expires_at=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False),
    )
    if not retried:
        return ActionResult(edition, False, "There are no failed deliveries to retry.")
    if edition.status == EditionStatus.FINISHED:
        edition.status = EditionStatus.SENDING
        edition.finished_at = None
    sending = edition.status == EditionStatus.SENDING
    note = "" if sending else " They will go out when the edition is resumed."
    return ActionResult(
        edition, True, f"{retried} failed deliveries queued again.{note}", needs_sending=sending
    )
