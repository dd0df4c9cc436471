"""What comes back from a digest: clicks, opens, and provider bounce/complaint events.

Hard bounces and complaints (from SMTP replies, the provider webhook or DSN
messages in a maildir) all end in ``app.subscriptions.suppression``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, Unauthorized
from app.feedback.links import FEEDBACK_KINDS, ClickLinks, ClickTarget, verify_open_token
from app.models import Delivery, Event, EventKind, Paper, Subscriber, SuppressionReason
from app.subscriptions.papers import feedback_token
from app.subscriptions.suppression import Suppress, suppress_addresses
from app.urls import safe_http_url


def record_click(
    session: Session,
    *,
    links: ClickLinks,
    token: str,
    secret_key: str,
    user_agent: str | None = None,
) -> str | None:
    """The destination of a click token (and the click recorded), or None if invalid.

    The URL comes from what was recorded for the delivery when it was sent, never
    from the token, so the redirect cannot be pointed anywhere else. A "More /
    Fewer like this" link leads to the reader's feedback page for that paper,
    where nothing is recorded until they confirm.
    """
    target = links.verify(token)
    if target is None:
        return None
    delivery = session.get(Delivery, target.delivery_id)
    if delivery is None or target.item >= len(delivery.picks):
        return None
    pick: dict[str, Any] = delivery.picks[target.item]
    if target.kind in FEEDBACK_KINDS:
        return _feedback_page(session, delivery, pick, target, secret_key, links.base_url)
    # Checked again as it leaves (app/urls.py): a row written before the check, or by hand.
    url = safe_http_url(pick.get("links", {}).get(target.kind))
    if url is None:
        return None
    session.add(
        Event(
            kind=EventKind.CLICK,
            subscriber_id=delivery.subscriber_id,
            delivery_id=delivery.id,
            arxiv_id=pick.get("arxiv_id"),
            url=url,
            detail={"link": target.kind, "section": pick.get("section"), "ua": user_agent},
        )
    )
    return url


def _feedback_page(
    session: Session,
    delivery: Delivery,
    pick: dict[str, Any],
    target: ClickTarget,
    secret_key: str,
    base_url: str,
) -> str | None:
    subscriber = session.get(Subscriber, delivery.subscriber_id)
    if subscriber is None or subscriber.token_version != target.token_version:
        return None  # a token from before the reader's links were revoked (or unversioned)
    paper_id = session.scalar(select(Paper.id).where(Paper.arxiv_id == pick.get("arxiv_id")))
    if paper_id is None:
        return None
    token = feedback_token(
        secret_key, subscriber=subscriber, edition_id=delivery.edition_id, paper_id=paper_id
    )
    return f"{base_url}/feedback/{target.kind}/{token}"


def record_open(session: Session, *, links: ClickLinks, token: str, enabled: bool) -> bool:
    """Record an open when open tracking is on and the token is ours."""
    delivery_id = verify_open_token(links, token)
    if not enabled or delivery_id is None:
        return False
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return False
    session.add(
        Event(kind=EventKind.OPEN, subscriber_id=delivery.subscriber_id, delivery_id=delivery.id)
    )
    return True


@dataclass(frozen=True)
class ProviderEvent:
    """A bounce or complaint reported by the mail provider's webhook."""

    type: Literal["bounce", "complaint"]
    email: str
    permanent: bool = True
    detail: str = ""
    message_id: str | None = None


def apply_provider_events(session: Session, events: Iterable[ProviderEvent]) -> int:
    """Suppress the addresses of hard bounces and complaints; soft bounces are only noted."""
    entries: list[Suppress] = []
    for event in events:
        delivery_id = None
        if event.message_id:
            delivery_id = session.scalar(
                select(Delivery.id).where(Delivery.message_id == _angle(event.message_id))
            )
        if event.type == "complaint":
            entries.append(
                Suppress(event.email, SuppressionReason.COMPLAINT, event.detail, delivery_id)
            )
        elif event.permanent:
            entries.append(
                Suppress(event.email, SuppressionReason.HARD_BOUNCE, event.detail, delivery_id)
            )
        else:
            session.add(
                Event(
                    kind=EventKind.BOUNCE,
                    delivery_id=delivery_id,
                    detail={"soft": True, "email": event.email, "detail": event.detail[:500]},
                )
            )
    return suppress_addresses(session, entries)


def _angle(message_id: str) -> str:
    message_id = message_id.strip()
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def check_webhook_token(*, configured: str, authorization: str | None) -> None:
    """Refuse a provider webhook call unless it carries ``Bearer <configured token>``."""
    if not configured:
        raise NotFound("The webhook is not enabled (set PAPERBOY_WEBHOOK_TOKEN).")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), configured.encode()):
        raise Unauthorized("Wrong or missing webhook token.")
