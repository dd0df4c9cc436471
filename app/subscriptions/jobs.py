"""The subscriptions' jobs (``app.jobs`` names ``subscriptions.send_confirmation``,
``subscriptions.send_already_subscribed`` and ``subscriptions.withhold_from_suppressed``)."""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.orm import Session

from app.config import Settings
from app.db import session_factory_for, transaction
from app.mailer.errors import PermanentDeliveryError
from app.mailer.transports import Transport, transport_for
from app.subscriptions.confirmation import (
    send_already_subscribed_email,
    send_confirmation_email,
    withhold_confirmation,
)

log = logging.getLogger(__name__)


class SubscribeMail(Protocol):
    def __call__(
        self, session: Session, *, subscriber_id: int, settings: Settings, transport: Transport
    ) -> bool: ...


def send_confirmation(settings: Settings, subscriber_id: int) -> bool:
    """Mail subscriber ``subscriber_id`` their confirmation link (if still pending)."""
    return _send(send_confirmation_email, "confirmation", settings, subscriber_id)


def send_already_subscribed(settings: Settings, subscriber_id: int) -> bool:
    """Tell subscriber ``subscriber_id`` they are already subscribed (if they still are)."""
    return _send(send_already_subscribed_email, "already-subscribed note", settings, subscriber_id)


def withhold_from_suppressed(settings: Settings, suppression_id: int) -> bool:
    """A suppressed address asked to subscribe: the same work as a mail, nothing sent."""
    with transaction(session_factory_for(settings.database_url)) as session:
        return withhold_confirmation(session, suppression_id=suppression_id, settings=settings)


def _send(mail: SubscribeMail, what: str, settings: Settings, subscriber_id: int) -> bool:
    with (
        transaction(session_factory_for(settings.database_url)) as session,
        transport_for(settings.mail_url) as transport,
    ):
        try:
            return mail(
                session, subscriber_id=subscriber_id, settings=settings, transport=transport
            )
        except PermanentDeliveryError as error:
            # Expected (a mistyped address): one line, no traceback, no retry.
            log.warning("%s for subscriber %s refused: %s", what, subscriber_id, error)
            return False
