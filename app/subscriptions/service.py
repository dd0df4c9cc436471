"""The subscription lifecycle: subscribe, confirm, manage, pause, unsubscribe.

Every function takes the caller's session and never commits. ``subscribe``
answers the same way whatever the address's state (the caller shows one page
for all), and tells the caller which email is due (a confirmation, or a note to a
known address that it is already subscribed), so the caller can enqueue it once
its transaction commits. A new, a known and a suppressed address cost the same work
(one write, the per-address limit, one job), so neither the answer nor its timing
tells whether an address is known.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, exists, select, update
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
from app.subscriptions.validation import Preferences, address_forms, normalise_email

log = logging.getLogger(__name__)

CONFIRMATION_WINDOW_SECONDS = 3600
ENDED = frozenset(
    {SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED}
)


class SubscribeOutcome(enum.StrEnum):
    """What ``subscribe`` did (for logs and tests; never shown to the visitor)."""

    CONFIRMATION_DUE = "confirmation_due"
    CONFIRMATION_RATE_LIMITED = "confirmation_rate_limited"
    # Active or paused: a note saying so, with the manage link, is due.
    ALREADY_SUBSCRIBED = "already_subscribed"
    ALREADY_SUBSCRIBED_RATE_LIMITED = "already_subscribed_rate_limited"
    # Suppressed: no mail, ever; the job only composes the confirmation it withholds.
    SUPPRESSED = "suppressed"
    SUPPRESSED_RATE_LIMITED = "suppressed_rate_limited"
    NOTHING_DUE = "nothing_due"


@dataclass(frozen=True)
class SubscribeResult:
    outcome: SubscribeOutcome
    subscriber_id: int | None = None
    suppression_id: int | None = None

    @property
    def confirmation_due(self) -> bool:
        return self.outcome is SubscribeOutcome.CONFIRMATION_DUE

    @property
    def already_subscribed_note_due(self) -> bool:
        return self.outcome is SubscribeOutcome.ALREADY_SUBSCRIBED

    @property
    def suppressed_answer_due(self) -> bool:
        return self.outcome is SubscribeOutcome.SUPPRESSED and self.suppression_id is not None


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

    New, pending and unsubscribed addresses get a confirmation email; active or paused
    ones keep their preferences and get a note that they are already subscribed, with
    their manage link (both at most ``confirmation_mails_per_hour`` per address);
    suppressed ones get no mail at all, but the same work: the request's time is written
    on the suppression and a job is due that composes the mail it withholds.
    Raises ``InvalidField`` for a bad address.
    """
    address = normalise_email(email)
    suppressed, subscriber_id, status = _lookup(session, address)
    if suppressed:
        log.info("subscribe: suppressed address, no mail")
        suppression_id = session.scalar(
            _TOUCH_SUPPRESSION, {"forms": list(address_forms(address)), "now": utcnow()}
        )
        return _mail_if_allowed(
            _WITHHELD, subscriber_id, address, limiter, confirmation_mails_per_hour, suppression_id
        )
    if subscriber_id is None:
        # The common case in one round trip; a concurrent insert of the same
        # address makes this return None, and the row is then read below.
        subscriber_id = _insert_pending(session, address, preferences, consent)
        if subscriber_id is not None:
            return _mail_if_allowed(
                _CONFIRMATION, subscriber_id, address, limiter, confirmation_mails_per_hour
            )
    elif status in {SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED}:
        # The same work as a new address (one write, one mail to enqueue): what an
        # anonymous visitor may change here is nothing, so the write is the row's
        # updated_at, the time someone last asked for this address.
        session.execute(_TOUCH, {"subscriber_id": subscriber_id, "now": utcnow()})
        return _mail_if_allowed(_NOTE, subscriber_id, address, limiter, confirmation_mails_per_hour)
    subscriber = find_subscriber(session, address)
    assert subscriber is not None
    if subscriber.status in {SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED}:
        # Subscribed between the lookup and the insert (a concurrent import): nothing due.
        return SubscribeResult(SubscribeOutcome.NOTHING_DUE, subscriber.id)
    if subscriber.status in {SubscriberStatus.BOUNCED, SubscriberStatus.COMPLAINED}:
        return SubscribeResult(SubscribeOutcome.SUPPRESSED, subscriber.id)
    # Pending (again) or unsubscribed: the latest request is what they confirm.
    subscriber.status = SubscriberStatus.PENDING
    _apply_preferences(subscriber, preferences)
    _apply_consent(subscriber, consent)
    session.flush()
    return _mail_if_allowed(
        _CONFIRMATION, subscriber.id, address, limiter, confirmation_mails_per_hour
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
        return SubscribeResult(SubscribeOutcome.NOTHING_DUE)
    return _mail_if_allowed(
        _CONFIRMATION, subscriber.id, address, limiter, confirmation_mails_per_hour
    )


# Built once: the subscribe hot path then only binds values (statement
# construction and cache-key generation cost more than the queries themselves).
# A suppression is looked up in both spellings of an internationalised domain
# (``address_forms``): rows stored before ``address_key`` decoded them may hold either.
_LOOKUP = select(
    exists().where(Suppression.email.in_(bindparam("forms", expanding=True))),
    select(Subscriber.id).where(Subscriber.email == bindparam("address")).scalar_subquery(),
    select(Subscriber.status).where(Subscriber.email == bindparam("address")).scalar_subquery(),
)
_SUBSCRIBER_TABLE = cast(Table, Subscriber.__table__)
_INSERT_PENDING = {
    dialect: insert(_SUBSCRIBER_TABLE)
    .on_conflict_do_nothing(index_elements=[_SUBSCRIBER_TABLE.c.email])
    .returning(_SUBSCRIBER_TABLE.c.id)
    for dialect, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}
_TOUCH = (
    update(_SUBSCRIBER_TABLE)
    .where(_SUBSCRIBER_TABLE.c.id == bindparam("subscriber_id"))
    .values(updated_at=bindparam("now"))
)

_TOUCH_SUPPRESSION = (
    update(Suppression)
    .where(Suppression.email.in_(bindparam("forms", expanding=True)))
    .values(last_requested_at=bindparam("now"))
    .returning(Suppression.id)
)


def _lookup(session: Session, address: str) -> tuple[bool, int | None, SubscriberStatus | None]:
    """(is the address suppressed, its subscriber id and status if any), in one query."""
    row = session.execute(
        _LOOKUP, {"address": address, "forms": list(address_forms(address))}
    ).one()
    return bool(row[0]), row[1], None if row[2] is None else SubscriberStatus(row[2])


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


# What each kind of address is due, and what it gets over the per-address limit.
_CONFIRMATION = (SubscribeOutcome.CONFIRMATION_DUE, SubscribeOutcome.CONFIRMATION_RATE_LIMITED)
_NOTE = (SubscribeOutcome.ALREADY_SUBSCRIBED, SubscribeOutcome.ALREADY_SUBSCRIBED_RATE_LIMITED)
_WITHHELD = (SubscribeOutcome.SUPPRESSED, SubscribeOutcome.SUPPRESSED_RATE_LIMITED)


def _mail_if_allowed(
    outcomes: tuple[SubscribeOutcome, SubscribeOutcome],
    subscriber_id: int | None,
    address: str,
    limiter: RateLimiter,
    per_hour: int,
    suppression_id: int | None = None,
) -> SubscribeResult:
    """``outcomes``' first when the address is within its mail limit, else its second."""
    retry_after = limiter.hit(
        f"confirmation:{address}", limit=per_hour, window_seconds=CONFIRMATION_WINDOW_SECONDS
    )
    if retry_after is not None:
        log.info("subscribe: mail rate-limited for subscriber %s", subscriber_id)
    due, limited = outcomes
    return SubscribeResult(due if retry_after is None else limited, subscriber_id, suppression_id)


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
