"""Enqueue the confirmation email once the request's transaction has committed."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from app.db import on_commit
from app.mailer.errors import DeliveryError
from app.subscriptions.service import SubscribeResult

log = logging.getLogger(__name__)


def send_confirmation_after_commit(session: Session, result: SubscribeResult) -> None:
    """Queue ``subscriptions.send_confirmation`` if ``result`` says one is due."""
    if not result.confirmation_due or result.subscriber_id is None:
        return
    subscriber_id = result.subscriber_id

    def enqueue() -> None:
        from workers.subscriptions import send_confirmation

        try:
            send_confirmation.delay(subscriber_id)
        except DeliveryError as error:
            # Embedded mode: the mail server said no or is away (expected; one line).
            log.warning(
                "could not send the confirmation for subscriber %s: %s", subscriber_id, error
            )
        except Exception:
            # The subscription is saved; the visitor can ask for another email.
            # In embedded mode this is the send itself failing (e.g. SMTP down).
            log.exception("could not send the confirmation for subscriber %s", subscriber_id)

    on_commit(session, enqueue)
