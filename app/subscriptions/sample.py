"""The sample digest shown to visitors before they subscribe.

The digest itself is built by the mailer; until it records sent digests there
is nothing to show, so this honestly returns ``None`` and the subscribe page
hides its "see a sample" link.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def latest_sample_digest(session: Session) -> str | None:
    """The HTML of the most recently sent digest, or ``None`` when none exists yet."""
    # TODO(mailer): read the latest sent digest once deliveries store their HTML.
    del session
    return None
