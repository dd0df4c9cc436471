"""The subscription lifecycle: subscribe, confirm, manage, pause, unsubscribe.

Every function takes the caller's session and never commits. ``subscribe``
answers the same way whatever the address's state (the caller shows one page
for all), and tells the caller whether a confirmation email is due, so the
caller can enqueue it once its transaction commits.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models.subscriber import Subscriber, SubscriberStatus
from app.models.suppression import Suppression
from app.subscriptions.errors import (
    RevokedToken,
    SubscriptionEnded,
    SubscriptionNotConfirmable,
)
from app.subscriptions.ratelimit import RateLimiter
from app.subscriptions.suppression import is_suppressed
from app.subscriptions.tokens import TokenPurpose, read_token
from app.subscriptions.validation import Preferences, normalise_email

log = logging.getLogger(__name__)

CONFIRMATION_WINDOW_SECONDS = 3600
ENDED = frozenset(
    {SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED}
)


class SubscribeOutcome(enum.StrEnum):
    """What ``subscribe`` did (for logs and tests; never shown to the visitor)."""

    CONFIRMATION_DUE = "confirmation_due"
    CONFIRMATION_RATE_LIMITED = "confirmation_rate_limited"
    ALREADY_SUBSCRIBED = "already_subscribed"
    SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class SubscribeResult:
    outcome: SubscribeOutcome
    subscriber_id: int | None = None

    @property
    def confirmation_due(self) -> bool:
        return self.outcome is SubscribeOutcome.CONFIRMATION_DUE


@dataclass(frozen=True)
class Consent:
    """Where a subscription request came from (kept as the consent record)."""

    source: str
    ip: str | None = None
    user_agent: str | None = None


def find_subscriber(session: Session, email: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.email == email))


def subscribe(
    session: Session,
    *,
    email: str,
    preferences: Preferences,
    consent: Consent,
    limiter: RateLimiter,
    confirmation_mails_per_hour: int,
) -> SubscribeResult:
    """Ask for the digest: a pending subscription and a confirmation email (double opt-in).

    New, pending and unsubscribed addresses get a confirmation email (at most
    ``confirmation_mails_per_hour`` per address); active or paused ones are left
    alone; suppressed ones get nothing at all. Raises ``InvalidField`` for a bad
    address.
    """
    address = normalise_email(email)
    suppressed, subscriber_id = _lookup(session, address)
    if suppressed:
        log.info("subscribe: suppressed address ignored")
        return SubscribeResult(SubscribeOutcome.SUPPRESSED, subscriber_id)
    if subscriber_id is None:
        # The common case in one round trip; a concurrent insert of the same
        # address makes this return None, and the row is then read below.
        subscriber_id = _insert_pending(session, address, preferences, consent)
        if subscriber_id is not None:
            return _confirmation_if_allowed(
                subscriber_id, address, limiter=limiter, per_hour=confirmation_mails_per_hour
            )
    subscriber = find_subscriber(session, address)
    assert subscriber is not None
    if subscriber.status in {SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED}:
        return SubscribeResult(SubscribeOutcome.ALREADY_SUBSCRIBED, subscriber.id)
    if subscriber.status in {SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED}:
        return SubscribeResult(SubscribeOutcome.SUPPRESSED, subscriber.id)
    # Pending (again) or unsubscribed: the latest request is what they confirm.
    subscriber.status = SubscriberStatus.PENDING
    _apply_preferences(subscriber, preferences)
    _apply_consent(subscriber, consent)
    session.flush()
    return _confirmation_if_allowed(
        subscriber.id, address, limiter=limiter, per_hour=confirmation_mails_per_hour
    )


def resend_confirmation(
    session: Session, *, email: str, limiter: RateLimiter, confirmation_mails_per_hour: int
) -> SubscribeResult:
    """A new confirmation email for a pending address (from the "link expired" page)."""
    address = normalise_email(email)
    subscriber = find_subscriber(session, address)
    if (
        subscriber is None
        or subscriber.status is not SubscriberStatus.PENDING
        or is_suppressed(session, address)
    ):
        return SubscribeResult(SubscribeOutcome.ALREADY_SUBSCRIBED)
    return _confirmation_if_allowed(
        subscriber.id, address, limiter=limiter, per_hour=confirmation_mails_per_hour
    )


# Built once: the subscribe hot path then only binds values (statement
# construction and cache-key generation cost more than the queries themselves).
_LOOKUP = select(
    exists().where(Suppression.email == bindparam("address")),
    select(Subscriber.id).where(Subscriber.email == bindparam("address")).scalar_subquery(),
)
_SUBSCRIBER_TABLE = cast(Table, Subscriber.__table__)
_INSERT_PENDING = {
    dialect: insert(_SUBSCRIBER_TABLE)
    .on_conflict_do_nothing(index_elements=[_SUBSCRIBER_TABLE.c.email])
    .returning(_SUBSCRIBER_TABLE.c.id)
    for dialect, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


def _lookup(session: Session, address: str) -> tuple[bool, int | None]:
    """(is the address suppressed, its subscriber id if any), in one query."""
    row = session.execute(_LOOKUP, {"address": address}).one()
    return bool(row[0]), row[1]


def _insert_pending(
    session: Session, address: str, preferences: Preferences, consent: Consent
) -> int | None:
    """Insert a pending subscriber; None when the address appeared meanwhile."""
    now = utcnow()
    statement = _INSERT_PENDING[session.get_bind().dialect.name]
    values = {
        "email": address,
        "status": SubscriberStatus.PENDING,
        "interests": preferences.interests,
        "topics": list(preferences.topics),
        "seed_papers": [],
        "frequency": preferences.frequency,
        "weekly_day": preferences.weekly_day,
        "send_hour": preferences.send_hour,
        "timezone": preferences.timezone,
        "token_version": 1,
        "consent_source": consent.source[:200],
        "consent_ip": consent.ip[:64] if consent.ip else None,
        "consent_user_agent": consent.user_agent[:400] if consent.user_agent else None,
        "created_at": now,
        "updated_at": now,
    }
    new_id: int | None = session.scalar(statement, values)
    return new_id


def _apply_consent(subscriber: Subscriber, consent: Consent) -> None:
    subscriber.consent_source = consent.source[:200]
    subscriber.consent_ip = consent.ip[:64] if consent.ip else None
    subscriber.consent_user_agent = consent.user_agent[:400] if consent.user_agent else None


def _confirmation_if_allowed(
    subscriber_id: int, address: str, *, limiter: RateLimiter, per_hour: int
) -> SubscribeResult:
    retry_after = limiter.hit(
        f"confirmation:{address}", limit=per_hour, window_seconds=CONFIRMATION_WINDOW_SECONDS
    )
    if retry_after is not None:
        log.info("subscribe: confirmation mail rate-limited for subscriber %s", subscriber_id)
        return SubscribeResult(SubscribeOutcome.CONFIRMATION_RATE_LIMITED, subscriber_id)
    return SubscribeResult(SubscribeOutcome.CONFIRMATION_DUE, subscriber_id)


def _apply_preferences(subscriber: Subscriber, preferences: Preferences) -> None:
    subscriber.interests = preferences.interests
    subscriber.topics = list(preferences.topics)
    subscriber.frequency = preferences.frequency
    subscriber.weekly_day = preferences.weekly_day
    subscriber.send_hour = preferences.send_hour
    subscriber.timezone = preferences.timezone


def subscriber_for_token(
    session: Session,
    *,
    token: str,
    purpose: TokenPurpose,
    secret_key: str,
    max_age_seconds: int | None = None,
) -> Subscriber:
    """The subscriber a link's token names; raises a ``TokenError`` when it cannot be used."""
    claims = read_token(secret_key, purpose, token, max_age_seconds=max_age_seconds)
    subscriber = session.get(Subscriber, claims.subscriber_id)
    if subscriber is None or subscriber.token_version != claims.token_version:
        raise RevokedToken("This link is no longer valid.")
    return subscriber


def confirm(session: Session, *, subscriber: Subscriber, now: datetime | None = None) -> Subscriber:
    """Complete the double opt-in: pending becomes active (confirming twice is harmless)."""
    if subscriber.status in {SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED}:
        return subscriber
    if subscriber.status in ENDED or is_suppressed(session, subscriber.email):
        raise SubscriptionNotConfirmable(
            "This subscription has ended since this link was sent. "
            "Subscribe again to get a new confirmation email."
        )
    now = now or utcnow()
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.confirmed_at = now
    subscriber.consent_at = now
    session.flush()
    return subscriber


def update_preferences(
    session: Session, *, subscriber: Subscriber, preferences: Preferences
) -> Subscriber:
    """Change what and when a subscriber receives; not allowed once the subscription ended."""
    require_open(subscriber)
    _apply_preferences(subscriber, preferences)
    session.flush()
    return subscriber


def pause(session: Session, *, subscriber: Subscriber) -> Subscriber:
    """Stop sending for now, keeping the preferences (only an active subscription pauses)."""
    require_open(subscriber)
    if subscriber.status is SubscriberStatus.ACTIVE:
        subscriber.status = SubscriberStatus.PAUSED
        session.flush()
    return subscriber


def resume(session: Session, *, subscriber: Subscriber) -> Subscriber:
    """Start sending again after a pause."""
    require_open(subscriber)
    if subscriber.status is SubscriberStatus.PAUSED:
        subscriber.status = SubscriberStatus.ACTIVE
        session.flush()
    return subscriber


def unsubscribe(
    session: Session, *, subscriber: Subscriber, now: datetime | None = None
) -> Subscriber:
    """Stop every email at once. Idempotent; bounced/complained rows keep their status."""
    if subscriber.status in ENDED:
        return subscriber
    subscriber.status = SubscriberStatus.UNSUBSCRIBED
    subscriber.unsubscribed_at = now or utcnow()
    session.flush()
    return subscriber


def revoke_tokens(session: Session, *, subscriber: Subscriber) -> None:
    """Make every link mailed to this subscriber so far stop working."""
    subscriber.token_version += 1
    session.flush()


def mark_confirmation_sent(
    session: Session, *, subscriber: Subscriber, now: datetime | None = None
) -> None:
    subscriber.confirmation_sent_at = now or utcnow()
    session.flush()


def list_subscribers(
    session: Session, *, status: SubscriberStatus | None = None
) -> list[Subscriber]:
    """Everyone (or everyone with ``status``), oldest first."""
    query = select(Subscriber).order_by(Subscriber.created_at, Subscriber.id)
    if status is not None:
        query = query.where(Subscriber.status == status)
    return list(session.scalars(query))


def require_open(subscriber: Subscriber) -> None:
    """``SubscriptionEnded`` unless the subscription is still open (may change)."""
    if subscriber.status in ENDED:
        raise SubscriptionEnded(
            "This subscription has ended. Subscribe again to receive the digest."
        )
