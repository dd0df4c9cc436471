"""A subscriber's digest exactly as it would be emailed (same ranker, same renderer)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.config import Settings
from app.mailer.digests import render_digest_for
from app.mailer.render import RenderedDigest


class NothingToPreview(LookupError):
    """No digest for this subscriber on that day (no papers, or nothing new for them)."""


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
