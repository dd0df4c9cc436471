"""The confirmation email, sent by the task through a real SMTP server."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.models import SubscriberStatus, Suppression, SuppressionReason
from app.subscriptions import service
from app.subscriptions.ratelimit import NoRateLimit
from app.subscriptions.service import Consent
from app.subscriptions.tokens import TokenPurpose
from app.subscriptions.validation import clean_preferences
from tests.environment import ProcessSettings
from tests.factories import TEST_SECRET
from tests.smtp_server import SMTPTestServer
from workers.subscriptions import (
    send_already_subscribed,
    send_confirmation,
    withhold_from_suppressed,
)


def pending_subscriber(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        result = service.subscribe(
            session,
            email=email,
            preferences=clean_preferences(
                interests="protein folding", topics=["llm", "rl"], frequency="weekly"
            ),
            consent=Consent(source="test"),
            limiter=NoRateLimit(),
            confirmation_mails_per_hour=3,
        )
        session.commit()
    assert result.subscriber_id is not None
    return result.subscriber_id


def test_the_task_mails_a_multipart_confirmation_with_an_absolute_link(
    clean_db: Engine, smtp_server: SMTPTestServer, process_settings: ProcessSettings
) -> None:
    process_settings(clean_db, smtp_server.url, base_url="https://paperboy.example.org")
    subscriber_id = pending_subscriber(clean_db, "reader@example.org")

    assert send_confirmation.delay(subscriber_id).get() is True

    [received] = smtp_server.messages_to("reader@example.org")
    message = received.message
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == "Confirm your Paperboy subscription"
    assert message["Message-ID"].endswith("@paperboy.test>")
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    links = re.findall(r"https://paperboy\.example\.org/confirm/[\w.-]+", text)
    assert links and links[0] in html
    assert "Large language models" in text and "protein folding" in html
    assert "<style" not in html and 'style="' in html  # CSS is inlined

    with Session(clean_db) as session:
        found = service.subscriber_for_token(
            session,
            token=links[0].rsplit("/", 1)[1],
            purpose=TokenPurpose.CONFIRM,
            secret_key=TEST_SECRET,
        )
        assert found.confirmation_sent_at is not None


def test_no_mail_goes_to_a_subscriber_who_is_no_longer_pending(
    clean_db: Engine, smtp_server: SMTPTestServer, process_settings: ProcessSettings
) -> None:
    process_settings(clean_db, smtp_server.url)
    subscriber_id = pending_subscriber(clean_db, "quick@example.org")
    with Session(clean_db) as session:
        row = service.find_subscriber(session, "quick@example.org")
        assert row is not None
        service.confirm(session, subscriber=row)
        session.commit()
        assert row.status is SubscriberStatus.ACTIVE

    assert send_confirmation.delay(subscriber_id).get() is False
    assert smtp_server.messages == []


def _subscribed(engine: Engine, email: str) -> int:
    subscriber_id = pending_subscriber(engine, email)
    with Session(engine) as session:
        row = service.find_subscriber(session, email)
        assert row is not None
        service.confirm(session, subscriber=row)
        session.commit()
    return subscriber_id


def test_the_task_tells_a_subscribed_address_so_with_its_manage_link(
    clean_db: Engine, smtp_server: SMTPTestServer, process_settings: ProcessSettings
) -> None:
    process_settings(clean_db, smtp_server.url, base_url="https://paperboy.example.org")
    subscriber_id = _subscribed(clean_db, "reader@example.org")

    assert send_already_subscribed.delay(subscriber_id).get() is True

    [received] = smtp_server.messages_to("reader@example.org")
    message = received.message
    assert message["Subject"] == "You are already subscribed to Paperboy"
    assert message["To"] == "reader@example.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "already receives the weekly digest" in text and "nothing has changed" in text
    [manage] = re.findall(r"https://paperboy\.example\.org/manage/[\w.-]+", text)
    assert manage in html and "/confirm/" not in text + html
    assert "protein folding" in html and "<style" not in html
    with Session(clean_db) as session:
        found = service.subscriber_for_token(
            session,
            token=manage.rsplit("/", 1)[1],
            purpose=TokenPurpose.MANAGE,
            secret_key=TEST_SECRET,
        )
        assert found.id == subscriber_id


def test_no_note_goes_to_an_address_that_unsubscribed_meanwhile(
    clean_db: Engine, smtp_server: SMTPTestServer, process_settings: ProcessSettings
) -> None:
    process_settings(clean_db, smtp_server.url)
    subscriber_id = _subscribed(clean_db, "gone@example.org")
    with Session(clean_db) as session:
        row = service.find_subscriber(session, "gone@example.org")
        assert row is not None
        service.unsubscribe(session, subscriber=row)
        session.commit()
    assert send_already_subscribed.delay(subscriber_id).get() is False
    assert smtp_server.messages_to("gone@example.org") == []


def test_a_suppressed_address_that_asks_again_is_sent_nothing(
    clean_db: Engine, smtp_server: SMTPTestServer, process_settings: ProcessSettings
) -> None:
    process_settings(clean_db, smtp_server.url)
    with Session(clean_db) as session:
        session.add(Suppression(email="bounced@example.org", reason=SuppressionReason.HARD_BOUNCE))
        session.commit()
        result = service.subscribe(
            session,
            email="bounced@example.org",
            preferences=clean_preferences(interests="", topics=["llm"]),
            consent=Consent(source="test"),
            limiter=NoRateLimit(),
            confirmation_mails_per_hour=3,
        )
        session.commit()
    assert result.suppression_id is not None

    assert withhold_from_suppressed.delay(result.suppression_id).get() is False
    assert withhold_from_suppressed.delay(10**9).get() is False  # a row removed meanwhile
    assert smtp_server.messages_to("bounced@example.org") == []
