"""Subscription tasks: the double opt-in confirmation email."""

from __future__ import annotations

import logging

from app.mailer.confirmation import send_confirmation_email
from app.mailer.errors import PermanentDeliveryError, TemporaryDeliveryError
from app.mailer.transports import transport_for
from workers.celery_app import app
from workers.context import task_session

log = logging.getLogger(__name__)


@app.task(
    name="subscriptions.send_confirmation",
    autoretry_for=(TemporaryDeliveryError,),
    retry_backoff=True,
    max_retries=5,
)
def send_confirmation(subscriber_id: int) -> bool:
    """Mail subscriber ``subscriber_id`` their confirmation link (if still pending)."""
    with task_session() as (settings, session), transport_for(settings.mail_url) as transport:
        try:
            return send_confirmation_email(
                session, subscriber_id=subscriber_id, settings=settings, transport=transport
            )
        except PermanentDeliveryError as error:
            # Expected (a mistyped address): one line, no traceback, no retry.
            log.warning("confirmation for subscriber %s refused: %s", subscriber_id, error)
            return False
