"""The sample digest shown to visitors before they subscribe.

It is the latest edition that went out, rendered by the mailer's own renderer
for a made-up reader with ``SAMPLE_INTERESTS``: never a real subscriber's
digest, so no address or token of anyone is ever shown publicly. Rendered once
per edition and process (the page is public and cheap to ask for).
"""

from __future__ import annotations

import threading

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.editions.digests import render_sample_digest
from app.models import Delivery, DeliveryStatus, Edition

# What the sample reader "told us": broad enough to match most days' papers.
SAMPLE_INTERESTS = ("large language models", "AI agents")

_rendered: dict[tuple[str, int, object], str] = {}
_lock = threading.Lock()


def latest_sent_edition(session: Session) -> Edition | None:
    """The most recent edition with at least one digest sent."""
    sent = exists().where(Delivery.edition_id == Edition.id, Delivery.status == DeliveryStatus.SENT)
    return session.scalars(
        select(Edition).where(sent).order_by(Edition.edition_date.desc(), Edition.id.desc())
    ).first()


def has_sample_digest(session: Session) -> bool:
    """Whether there is anything to show (one cheap query, for the subscribe page)."""
    return latest_sent_edition(session) is not None


def latest_sample_digest(session: Session, *, settings: Settings) -> str | None:
    """The HTML of a sample of the latest sent edition, or ``None`` before the first one."""
    edition = latest_sent_edition(session)
    if edition is None or not edition.paper_ids:
        return None
    key = (session.get_bind().engine.url.render_as_string(), edition.id, edition.created_at)
    with _lock:
        html = _rendered.get(key)
    if html is None:
        digest = render_sample_digest(
            session, edition=edition, settings=settings, interests=SAMPLE_INTERESTS
        )
        html = digest.html
        with _lock:
            _rendered.clear()  # only the latest edition is ever asked for
            _rendered[key] = html
    return html
