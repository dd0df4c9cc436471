"""Pause an edition automatically when too many of its deliveries fail.

After a batch whose error rate passes ``SEND_PAUSE_ERROR_RATE``, the edition's
rate so far is counted; past the threshold (and ``SEND_PAUSE_MIN_ATTEMPTS``)
the edition is paused with a sentence saying why, for an admin to resume once
the mail server is fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.editions.actions import pause_edition
from app.editions.deliveries import DeliveryResult
from app.models import Delivery, DeliveryStatus, Edition, EditionStatus

log = logging.getLogger(__name__)


def _is_error(result: DeliveryResult) -> bool:
    return result.status in (DeliveryStatus.BOUNCED, DeliveryStatus.FAILED) or (
        result.status == DeliveryStatus.PENDING and not result.not_attempted
    )


def batch_error_rate(results: Sequence[DeliveryResult]) -> float:
    attempted = [r for r in results if r.status != DeliveryStatus.SKIPPED and not r.not_attempted]
    if not attempted:
        return 0.0
    return sum(1 for r in attempted if _is_error(r)) / len(attempted)


def pause_if_failing(session: Session, edition_id: int, settings: Settings) -> None:
    """Pause the edition when its error rate so far passes the threshold.

    Only checked after a bad batch (cheap in the normal case). Counted per
    delivery that has been tried: bounced, failed, or waiting for a retry.
    """
    counts = dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.edition_id == edition_id, Delivery.attempts > 0)
            .group_by(Delivery.status)
        ).all()
    )
    errors = sum(counts.get(s, 0) for s in (DeliveryStatus.BOUNCED, DeliveryStatus.FAILED))
    errors += (
        session.scalar(
            select(func.count()).where(
                Delivery.edition_id == edition_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.last_error.is_not(None),
            )
        )
        or 0
    )
    attempted = errors + counts.get(DeliveryStatus.SENT, 0)
    if (
        attempted < settings.send_pause_min_attempts
        or errors / attempted <= settings.send_pause_error_rate
    ):
        return
    edition = session.get_one(Edition, edition_id)
    if edition.status == EditionStatus.SENDING:
        reason = (
            f"paused automatically: {errors} of {attempted} deliveries failed "
            f"({errors / attempted:.0%} > {settings.send_pause_error_rate:.0%}); "
            "check the mail server, then resume"
        )
        pause_edition(session, edition_id=edition_id, reason=reason)
        log.warning("edition %s %s", edition_id, reason)
