"""Bounces and complaints from the provider webhook and from DSN messages suppress addresses."""

from __future__ import annotations

import mailbox
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.db import make_session_factory, transaction
from app.feedback.bounces import parse_dsn, process_maildir
from app.models import Subscriber, SubscriberStatus, Suppression, SuppressionReason
from app.web.app import create_app
from tests.environment import ProcessSettings, process_settings
from tests.factories import add_subscriber, make_test_settings

__all__ = ["process_settings"]  # the fixture, for the CLI test

DSN = b"""\
From: MAILER-DAEMON@mx.example.org
To: digest@paperboy.test
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system. Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; Gone@Example.org
Original-Recipient: rfc822;gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected

Final-Recipient: rfc822; slow@example.org
Action: delayed
Status: 4.4.1

--B
Content-Type: text/rfc822-headers

Message-ID: <digest.7.abc@paperboy.test>
Subject: 5 papers for you

--B--
"""


def test_dsn_parser_tells_hard_from_soft_bounces() -> None:
    report = parse_dsn(DSN)
    assert report is not None
    assert [(r.email, r.hard) for r in report.recipients] == [
        ("gone@example.org", True),
        ("slow@example.org", False),
    ]
    assert report.original_message_id == "<digest.7.abc@paperboy.test>"
    assert parse_dsn(b"Subject: hello\n\nnot a report\n") is None


def test_bounce_maildir_suppresses_hard_bounces_once(clean_db: Engine, tmp_path: Path) -> None:
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        add_subscriber(session, "gone@example.org")
        add_subscriber(session, "slow@example.org")
    box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
    box.add(DSN)
    box.add(b"Subject: out of office\n\nI am away.\n")
    with transaction(factory) as session:
        report = process_maildir(session, tmp_path / "bounces")
    assert (report.messages, report.hard, report.soft, report.unrecognised) == (2, 1, 1, 1)
    with transaction(factory) as session:
        assert process_maildir(session, tmp_path / "bounces").messages == 0  # marked as seen
    with Session(clean_db) as session:
        statuses = dict(session.execute(select(Subscriber.email, Subscriber.status)).all())
        suppressed = session.scalars(select(Suppression.email)).all()
    assert statuses == {
        "gone@example.org": SubscriberStatus.BOUNCED,
        "slow@example.org": SubscriberStatus.ACTIVE,
    }
    assert suppressed == ["gone@example.org"]


def test_webhook_needs_its_token_and_suppresses_complaints(
    clean_db: Engine, tmp_path: Path
) -> None:
    settings = make_test_settings(tmp_path, webhook_token="hook-secret-0123456789")
    with transaction(make_session_factory(clean_db)) as session:
        add_subscriber(session, "angry@example.org")
        add_subscriber(session, "bouncy@example.org")
    client = TestClient(create_app(settings, clean_db))
    body = {
        "events": [
            {"type": "complaint", "email": "angry@example.org"},
            {"type": "bounce", "email": "bouncy@example.org", "permanent": False},
        ]
    }
    assert client.post("/api/v1/webhooks/events", json=body).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/api/v1/webhooks/events", json=body, headers=wrong).status_code == 401
    right = {"Authorization": "Bearer hook-secret-0123456789"}
    response = client.post("/api/v1/webhooks/events", json=body, headers=right)
    assert response.status_code == 200
    assert response.json() == {"received": 2, "suppressed": 1}
    with Session(clean_db) as session:
        statuses = dict(session.execute(select(Subscriber.email, Subscriber.status)).all())
        reasons = session.execute(select(Suppression.email, Suppression.reason)).all()
    assert statuses["angry@example.org"] == SubscriberStatus.COMPLAINED
    assert statuses["bouncy@example.org"] == SubscriberStatus.ACTIVE  # a soft bounce
    assert [tuple(r) for r in reasons] == [("angry@example.org", SuppressionReason.COMPLAINT)]


def test_webhook_is_off_without_a_configured_token(clean_db: Engine, tmp_path: Path) -> None:
    client = TestClient(create_app(make_test_settings(tmp_path), clean_db))
    response = client.post("/api/v1/webhooks/events", json={"events": []})
    assert response.status_code == 404


def test_bounces_process_command_suppresses_hard_bounces_from_a_maildir(
    clean_db: Engine, process_settings: ProcessSettings, tmp_path: Path
) -> None:
    process_settings(clean_db)
    with transaction(make_session_factory(clean_db)) as session:
        add_subscriber(session, "gone@example.org")
        add_subscriber(session, "slow@example.org")
    maildir = tmp_path / "bounces"
    box = mailbox.Maildir(str(maildir), create=True)
    box.add(DSN)
    box.add(b"Subject: out of office\n\nI am away.\n")
    result = CliRunner().invoke(cli, ["bounces", "process", str(maildir)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "2 messages: 1 hard bounce suppressed, 1 soft bounce, 1 not bounce reports."
    )
    with Session(clean_db) as session:
        statuses = dict(session.execute(select(Subscriber.email, Subscriber.status)).all())
    assert statuses["gone@example.org"] == SubscriberStatus.BOUNCED
    assert statuses["slow@example.org"] == SubscriberStatus.ACTIVE
    again = CliRunner().invoke(cli, ["bounces", "process", str(maildir)])
    assert again.output.startswith("0 messages")


def test_a_bounce_naming_an_internationalised_domain_in_ascii_suppresses_its_reader(
    clean_db: Engine, tmp_path: Path
) -> None:
    # Stored as typed (Unicode domain); the digest went out to, and bounced from, the
    # ASCII form. A reader stored in the ASCII form before is found as well.
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        add_subscriber(session, "idn@bücher.example.org")
        add_subscriber(session, "old@xn--bcher-kva.example.org")
    dsn = DSN.replace(b"Gone@Example.org", b"IDN@xn--bcher-kva.example.org")
    box = mailbox.Maildir(str(tmp_path / "bounces"), create=True)
    box.add(dsn)
    box.add(dsn.replace(b"IDN@xn--bcher-kva", b"old@xn--bcher-kva"))
    with transaction(factory) as session:
        report = process_maildir(session, tmp_path / "bounces")
        from app.subscriptions.suppression import is_suppressed

        assert is_suppressed(session, "IDN@XN--BCHER-KVA.example.org")
        assert is_suppressed(session, "old@bücher.example.org")
    assert report.hard == 2
    with Session(clean_db) as session:
        statuses = dict(session.execute(select(Subscriber.email, Subscriber.status)).all())
        suppressed = set(session.scalars(select(Suppression.email)))
    assert statuses == {
        "idn@bücher.example.org": SubscriberStatus.BOUNCED,
        "old@xn--bcher-kva.example.org": SubscriberStatus.BOUNCED,
    }
    assert suppressed == {"idn@bücher.example.org", "old@bücher.example.org"}


def test_click_and_open_tokens_that_are_not_ascii_are_simply_not_ours(
    clean_db: Engine, tmp_path: Path
) -> None:
    client = TestClient(create_app(make_test_settings(tmp_path, open_tracking=True), clean_db))
    # Any text reaches the signature check ("%C3%A9" is "é"); it once raised there (500).
    for path in ("/c/1-1.0p.%C3%A9", "/c/1.0p.%C3%A9%C3%A9", "/o/1.o.%C3%A9.gif"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code in (200, 404), path
        assert "location" not in answer.headers
