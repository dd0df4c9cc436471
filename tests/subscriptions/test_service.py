"""The subscription lifecycle, on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.models import Subscriber, SubscriberStatus, Suppression, SuppressionReason
from app.subscriptions import service
from app.subscriptions.errors import InvalidField, SubscriptionEnded, SubscriptionNotConfirmable
from app.subscriptions.ratelimit import MemoryRateLimiter, NoRateLimit
from app.subscriptions.service import Consent, SubscribeOutcome
from app.subscriptions.validation import Preferences, clean_preferences

WEB = Consent(source="web-form", ip="203.0.113.7", user_agent="pytest")


def subscribe(
    session: Session, email: str, preferences: Preferences | None = None, limiter: object = None
) -> service.SubscribeResult:
    return service.subscribe(
        session,
        email=email,
        preferences=preferences or Preferences(),
        consent=WEB,
        limiter=limiter or NoRateLimit(),  # type: ignore[arg-type]
        confirmation_mails_per_hour=3,
    )


def subscriber(session: Session, email: str) -> Subscriber:
    found = service.find_subscriber(session, email)
    assert found is not None
    return found


def test_a_new_address_becomes_pending_with_its_consent_record(session: Session) -> None:
    preferences = clean_preferences(interests="diffusion", topics=["vision"], send_hour=9)
    result = subscribe(session, "New@Example.org", preferences)

    assert result.confirmation_due
    row = subscriber(session, "new@example.org")
    assert row.status is SubscriberStatus.PENDING
    assert (row.interests, row.topics, row.send_hour) == ("diffusion", ["vision"], 9)
    assert (row.consent_source, row.consent_ip, row.consent_user_agent) == (
        "web-form",
        "203.0.113.7",
        "pytest",
    )
    assert row.confirmed_at is None


def test_confirming_makes_the_subscription_active(session: Session) -> None:
    subscribe(session, "ada@example.org")
    row = service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    assert row.status is SubscriberStatus.ACTIVE
    assert row.confirmed_at is not None and row.consent_at is not None


def test_confirming_twice_is_harmless(session: Session) -> None:
    subscribe(session, "ada@example.org")
    row = service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    first = row.confirmed_at
    assert service.confirm(session, subscriber=row).confirmed_at == first


def test_a_pending_address_that_subscribes_again_gets_a_new_confirmation(
    session: Session,
) -> None:
    subscribe(session, "ada@example.org", clean_preferences(topics=["llm"]))
    again = subscribe(session, "ada@example.org", clean_preferences(topics=["rl"]))
    assert again.confirmation_due
    assert subscriber(session, "ada@example.org").topics == ["rl"]


def test_confirmation_mails_per_address_are_rate_limited(session: Session) -> None:
    limiter = MemoryRateLimiter()
    outcomes = [subscribe(session, "ada@example.org", limiter=limiter).outcome for _ in range(5)]
    assert (
        outcomes
        == [SubscribeOutcome.CONFIRMATION_DUE] * 3
        + [SubscribeOutcome.CONFIRMATION_RATE_LIMITED] * 2
    )


def test_an_active_subscriber_is_left_alone(session: Session) -> None:
    subscribe(session, "ada@example.org", clean_preferences(topics=["llm"]))
    service.confirm(session, subscriber=subscriber(session, "ada@example.org"))

    result = subscribe(session, "ada@example.org", clean_preferences(topics=["rl"]))

    assert result.outcome is SubscribeOutcome.ALREADY_SUBSCRIBED
    row = subscriber(session, "ada@example.org")
    assert row.status is SubscriberStatus.ACTIVE and row.topics == ["llm"]


def test_a_subscribed_address_that_asks_again_is_due_a_note_and_keeps_its_preferences(
    session: Session,
) -> None:
    subscribe(session, "ada@example.org", clean_preferences(topics=["llm"], send_hour=9))
    row = service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    before = row.updated_at
    for status in (SubscriberStatus.ACTIVE, SubscriberStatus.PAUSED):
        row.status = status
        session.flush()
        result = subscribe(session, "ADA@example.org", clean_preferences(topics=["rl"]))
        assert result.outcome is SubscribeOutcome.ALREADY_SUBSCRIBED
        assert result.already_subscribed_note_due and not result.confirmation_due
        assert result.subscriber_id == row.id
        session.refresh(row)
        assert (row.status, row.topics, row.send_hour) == (status, ["llm"], 9)
        assert row.updated_at >= before  # the one write, as for a new address


def test_notes_to_a_subscribed_address_share_the_per_address_mail_limit(session: Session) -> None:
    limiter = MemoryRateLimiter()
    assert subscribe(session, "ada@example.org", limiter=limiter).confirmation_due
    service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    outcomes = [subscribe(session, "ada@example.org", limiter=limiter).outcome for _ in range(4)]
    assert (
        outcomes
        == [SubscribeOutcome.ALREADY_SUBSCRIBED] * 2
        + [SubscribeOutcome.ALREADY_SUBSCRIBED_RATE_LIMITED] * 2
    )


def test_a_suppressed_address_silently_gets_nothing(session: Session) -> None:
    suppression = Suppression(email="bounced@example.org", reason=SuppressionReason.HARD_BOUNCE)
    session.add(suppression)
    session.flush()
    result = subscribe(session, "Bounced@example.org")
    assert result.outcome is SubscribeOutcome.SUPPRESSED
    assert not (result.confirmation_due or result.already_subscribed_note_due)
    assert service.find_subscriber(session, "bounced@example.org") is None
    # The same work as any other address: one write (the request's time) and one job.
    session.refresh(suppression)
    assert suppression.last_requested_at is not None
    assert result.suppressed_answer_due and result.suppression_id == suppression.id


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("gone@xn--bcher-kva.example", "Gone@bücher.example"),
        ("gone@bücher.example", "gone@xn--bcher-kva.example"),
    ],
)
def test_a_suppression_holds_whichever_spelling_of_its_domain_it_was_stored_in(
    session: Session, stored: str, typed: str
) -> None:
    # Rows stored before address_key decoded xn-- domains may hold the ASCII form.
    suppression = Suppression(email=stored, reason=SuppressionReason.HARD_BOUNCE)
    session.add(suppression)
    session.flush()
    result = subscribe(session, typed)
    assert result.outcome is SubscribeOutcome.SUPPRESSED
    assert service.find_subscriber(session, typed) is None
    session.refresh(suppression)
    assert suppression.last_requested_at is not None
    assert result.suppression_id == suppression.id


def test_a_suppressed_address_counts_against_the_per_address_limit(session: Session) -> None:
    session.add(Suppression(email="bounced@example.org", reason=SuppressionReason.COMPLAINT))
    session.flush()
    limiter = MemoryRateLimiter()
    outcomes = [subscribe(session, "bounced@example.org", limiter=limiter) for _ in range(4)]
    assert [r.outcome for r in outcomes] == [SubscribeOutcome.SUPPRESSED] * 3 + [
        SubscribeOutcome.SUPPRESSED_RATE_LIMITED
    ]
    assert not outcomes[-1].suppressed_answer_due


def test_resubscribing_after_unsubscribing_goes_through_opt_in_again(session: Session) -> None:
    subscribe(session, "ada@example.org")
    row = service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    service.unsubscribe(session, subscriber=row)

    result = subscribe(session, "ada@example.org")

    assert result.confirmation_due
    assert subscriber(session, "ada@example.org").status is SubscriberStatus.PENDING


def test_an_old_confirmation_cannot_revive_an_unsubscribed_address(session: Session) -> None:
    subscribe(session, "ada@example.org")
    row = service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    service.unsubscribe(session, subscriber=row)
    with pytest.raises(SubscriptionNotConfirmable):
        service.confirm(session, subscriber=row)


def test_unsubscribing_is_immediate_and_idempotent(session: Session) -> None:
    subscribe(session, "ada@example.org")
    row = service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    service.unsubscribe(session, subscriber=row)
    when = row.unsubscribed_at
    service.unsubscribe(session, subscriber=row)
    assert row.status is SubscriberStatus.UNSUBSCRIBED and row.unsubscribed_at == when


def test_pause_and_resume(session: Session) -> None:
    subscribe(session, "ada@example.org")
    row = service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    assert service.pause(session, subscriber=row).status is SubscriberStatus.PAUSED
    assert service.resume(session, subscriber=row).status is SubscriberStatus.ACTIVE


def test_preferences_change_but_not_after_unsubscribing(session: Session) -> None:
    subscribe(session, "ada@example.org")
    row = service.confirm(session, subscriber=subscriber(session, "ada@example.org"))
    weekly = clean_preferences(frequency="weekly", weekly_day=4, timezone="Europe/Paris")
    service.update_preferences(session, subscriber=row, preferences=weekly)
    assert (row.frequency.value, row.weekly_day, row.timezone) == ("weekly", 4, "Europe/Paris")

    service.unsubscribe(session, subscriber=row)
    with pytest.raises(SubscriptionEnded):
        service.update_preferences(session, subscriber=row, preferences=Preferences())


def test_an_invalid_address_is_refused_before_anything_is_stored(session: Session) -> None:
    with pytest.raises(InvalidField):
        subscribe(session, "nobody")
    assert service.list_subscribers(session) == []


def test_resending_a_confirmation_only_helps_pending_addresses(session: Session) -> None:
    subscribe(session, "pending@example.org")
    kwargs = {"limiter": NoRateLimit(), "confirmation_mails_per_hour": 3}
    assert service.resend_confirmation(
        session, email="pending@example.org", **kwargs
    ).confirmation_due  # type: ignore[arg-type]
    assert not service.resend_confirmation(
        session, email="unknown@example.org", **kwargs
    ).confirmation_due  # type: ignore[arg-type]


def test_listing_filters_by_status(session: Session) -> None:
    subscribe(session, "a@example.org")
    subscribe(session, "b@example.org")
    service.confirm(session, subscriber=subscriber(session, "b@example.org"))
    assert [s.email for s in service.list_subscribers(session)] == [
        "a@example.org",
        "b@example.org",
    ]
    active = service.list_subscribers(session, status=SubscriberStatus.ACTIVE)
    assert [s.email for s in active] == ["b@example.org"]
