"""A subscriber's digest exactly as it would be emailed (same ranker, same renderer)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.orm import Session

from app.config import Settings
from app.editions.digests import render_digest_for
from app.errors import NotFound
from app.mailer.compose import Composer
from app.mailer.render import RenderedDigest
from app.mailer.transports import Transport
from app.subscriptions.suppression import is_suppressed


class NothingToPreview(NotFound):
    """No digest for this subscriber on that day (no papers, or nothing new for them)."""


class SuppressedRecipient(ValueError):
    """The test send's address is on the suppression list (it bounced or complained)."""


def preview_digest(
    session: Session, *, subscriber_id: int, edition_date: date, settings: Settings
) -> RenderedDigest:
    """The digest ``subscriber_id`` gets for ``edition_date``; never sends or records anything."""
    try:
        return render_digest_for(
            session, subscriber_id=subscriber_id, edition_date=edition_date, settings=settings
        )
    except ValueError as error:
        # The pipeline skips a reader with no new paper rather than mail an empty digest.
        raise NothingToPreview(
            f"no digest for {edition_date.isoformat()}: no papers they have not had yet"
        ) from error


def send_test_digest(
    session: Session,
    *,
    subscriber_id: int,
    edition_date: date,
    settings: Settings,
    to: str,
    transport: Transport,
) -> str:
    """Mail the subscriber's digest to ``to`` (an admin's address), marked as a test.

    The subscriber's own unsubscribe, manage and feedback links are replaced, so whoever
    receives the test cannot change the real subscription. Nothing is recorded.
    Returns the Message-ID; transport errors (``DeliveryError``) propagate. An address
    on the suppression list is not mailed, a test or not (``SuppressedRecipient``).
    """
    if is_suppressed(session, to):
        raise SuppressedRecipient(f"{to} is on the suppression list")
    digest = preview_digest(
        session, subscriber_id=subscriber_id, edition_date=edition_date, settings=settings
    )
    # Any token link of the subscriber's (whatever second it was minted in) is
    # replaced, so the test's recipient cannot change the real subscription.
    neutral = f"{settings.base_url}/"
    own_links = re.compile(
        re.escape(settings.base_url) + r"/(?:unsubscribe|manage|feedback/\w+)/[\w.\-]+"
    )
    html = own_links.sub(neutral, digest.html)
    text = own_links.sub(neutral, digest.text)
    test = RenderedDigest(subject=f"[Test] {digest.subject}", html=html, text=text)
    composer = Composer(settings)
    message = composer.compose(
        test, to=to, unsubscribe_url=neutral, message_id=composer.message_id(0)
    )
    transport.send_raw(message.sender, message.recipient, message.data)
    return message.message_id
