"""DKIM signing, open tracking, and the hourly send slot, each seen from a received message."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from time import monotonic, sleep
from zoneinfo import ZoneInfo

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.models import Delivery, Edition, EditionStatus, Event, EventKind
from app.web.app import create_app
from tests.environment import ProcessSettings, process_settings
from tests.factories import DAY, add_papers, add_subscriber, settings_for
from tests.smtp_server import ReceivedMessage, SMTPTestServer

__all__ = ["process_settings"]  # the fixture, for the task test


def _send_one(settings: Settings, engine: Engine) -> None:
    with transaction(make_session_factory(engine)) as session:
        add_papers(session, count=5)
        add_subscriber(session, "reader@example.org")
    send_edition(settings, make_session_factory(engine), edition_date=DAY)


def _html(received: ReceivedMessage) -> str:
    part = received.message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def test_dkim_signature_verifies_and_covers_both_list_unsubscribe_headers(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_path = tmp_path / "dkim.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    settings = settings_for(
        tmp_path, clean_db, mail_url=smtp_server.url, dkim_private_key_path=key_path
    )
    _send_one(settings, clean_db)
    [received] = smtp_server.messages_to("reader@example.org")
    asked: list[bytes] = []

    def dns(name: bytes, timeout: int = 5) -> bytes:
        asked.append(name)
        return record

    assert dkim.verify(received.raw, dnsfunc=dns)
    assert asked == [b"paperboy._domainkey.paperboy.test."]
    signature = received.message["DKIM-Signature"]
    tags = dict(
        part.strip().split("=", 1) for part in re.sub(r"\s+", "", signature).split(";") if part
    )
    signed = tags["h"].lower().split(":")
    assert {"list-unsubscribe", "list-unsubscribe-post", "from", "subject"} <= set(signed)
    assert tags["d"] == "paperboy.test" and tags["s"] == "paperboy"
    # A changed List-Unsubscribe no longer verifies.
    tampered = received.raw.replace(b"List-Unsubscribe: <http://", b"List-Unsubscribe: <https://")
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_open_tracking_is_off_by_default(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    assert settings.open_tracking is False
    _send_one(settings, clean_db)
    html = _html(smtp_server.messages_to("reader@example.org")[0])
    assert "/o/" not in html and 'width="1" height="1"' not in html


def test_open_tracking_when_on_adds_a_pixel_that_records_an_open(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url, open_tracking=True)
    _send_one(settings, clean_db)
    html = _html(smtp_server.messages_to("reader@example.org")[0])
    [pixel] = re.findall(r'<img src="http://testserver(/o/[^"]+)" width="1" height="1"', html)
    client = TestClient(create_app(settings, engine=clean_db))
    response = client.get(pixel)
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    with Session(clean_db) as session:
        [delivery] = session.scalars(select(Delivery)).all()
        opens = session.scalars(select(Event).where(Event.kind == EventKind.OPEN)).all()
    assert [(e.delivery_id, e.subscriber_id) for e in opens] == [
        (delivery.id, delivery.subscriber_id)
    ]


@pytest.fixture
def tasks_on(
    clean_db: Engine, smtp_server: SMTPTestServer, process_settings: ProcessSettings
) -> Iterator[Engine]:
    """Tasks (which read the process settings) pointed at this test's database and server."""
    from app.editions.jobs import close_send_context

    process_settings(clean_db, mail_url=smtp_server.url)
    yield clean_db
    close_send_context()  # the worker's SMTP connection and database pool


def test_hourly_send_slot_task_mails_the_readers_whose_hour_it_is(
    tasks_on: Engine, smtp_server: SMTPTestServer
) -> None:
    from workers.celery_app import app
    from workers.sending import send_slot_task

    assert app.conf.task_always_eager  # no broker: the task runs here, as in embedded mode
    today = datetime.now(UTC).date()
    with transaction(make_session_factory(tasks_on)) as session:
        add_papers(session, day=today, count=4)
        add_subscriber(session, "seven@example.org", send_hour=7)
        add_subscriber(session, "nine@example.org", send_hour=9)
        add_subscriber(session, "paris@example.org", send_hour=8, timezone="Europe/Paris")
    queued = send_slot_task.delay(hour_utc=7).get()
    # The chunks it queued run after its commit, in the background (no broker).
    deadline = monotonic() + 30
    while True:
        with Session(tasks_on) as session:  # a new snapshot each time (SQLite's WAL)
            if session.scalars(select(Edition.status)).one() == EditionStatus.FINISHED:
                break
        assert monotonic() < deadline, "the slot's edition did not finish"
        sleep(0.05)
    recipients = sorted(r for m in smtp_server.messages for r in m.recipients)
    # 07:00 UTC is 08:00 in Paris in winter and 09:00 in summer.
    seven_utc = datetime.combine(today, time(7), tzinfo=UTC)
    paris_is_due = seven_utc.astimezone(ZoneInfo("Europe/Paris")).hour == 8
    expected = ["seven@example.org"] + (["paris@example.org"] if paris_is_due else [])
    assert queued == len(expected)
    assert recipients == sorted(expected)
    with Session(tasks_on) as session:
        [edition] = session.scalars(select(Edition)).all()
    assert (edition.edition_date, edition.slot, edition.status.value) == (today, "h07", "finished")
    assert send_slot_task.delay(hour_utc=7).get() == 0  # the same slot again sends nothing
    assert len(smtp_server.messages) == len(expected)
