"""The subscriptions' job (``app.jobs`` name ``subscriptions.send_confirmation``)."""

from __future__ import annotations

import logging

from app.config import Settings
from app.db import session_factory_for, transaction
from app.mailer.errors import PermanentDeliveryError
from app.mailer.transports import transport_for
from app.subscriptions.confirmation import send_confirmation_email

log = logging.getLogger(__name__)


def send_confirmation(settings: Settings, subscriber_id: int) -> bool:
    """Mail subscriber ``subscriber_id`` their confirmation link (if still pending)."""
    with (
        transaction(session_factory_for(settings.database_url)) as session,
        transport_for(settings.mail_url) as transport,
    ):
        try:
            return send_confirmation_email(
                session, subscriber_id=subscriber_id, settings=settings, transport=transport
            )
        except PermanentDeliveryError as error:
            # Expected (a mistyped address): one line, no traceback, no retry.
            log.warning("confirmation for subscriber %s refused: %s", subscriber_id, error)
            return False
