"""One bad item fails alone: odd addresses and broken rows never stop a send."""

from __future__ import annotations

import os
import subprocess
import sys
from email import message_from_string, policy
from email.headerregistry import Address
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.models import Delivery, DeliveryStatus, Subscriber, SubscriberStatus
from tests.factories import DAY, add_papers, add_subscriber, settings_for
from tests.smtp_server import SMTPTestServer

UNSENDABLE = ["用户@example.org", "😀@example.org", "josé@example.org"]


def _outcomes(engine: Engine) -> dict[str, tuple[DeliveryStatus, str | None]]:
    with Session(engine) as session:
        rows = session.execute(
            select(Subscriber.email, Delivery.status, Delivery.last_error).join(
                Delivery, Delivery.subscriber_id == Subscriber.id
            )
        )
        return {email: (DeliveryStatus(status), error) for email, status, error in rows}


def test_international_local_parts_fail_alone_without_smtputf8(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    readers = [f"reader{n}@example.org" for n in range(12)] + ["user@bücher.de"]
    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)
        for email in readers + UNSENDABLE:
            add_subscriber(session, email)
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    final = send_edition(settings, make_session_factory(clean_db), edition_date=DAY)

    assert final.finished
    assert (final.counts.sent, final.counts.failed, final.counts.bounced) == (13, 3, 0)
    outcomes = _outcomes(clean_db)
    for email in UNSENDABLE:
        status, reason = outcomes[email]
        assert status == DeliveryStatus.FAILED
        assert reason is not None and "SMTPUTF8" in reason
    # The domain travels as its IDNA A-label; the headers parse back to one address.
    [idn] = smtp_server.messages_to("user@xn--bcher-kva.de")
    assert idn.message["To"].addresses == (Address(addr_spec="user@xn--bcher-kva.de"),)
    with Session(clean_db) as session:
        # Failing to reach them is our relay's limit, not a bounce: they stay subscribed.
        still = session.scalar(select(Subscriber.status).where(Subscriber.email == UNSENDABLE[0]))
    assert still == SubscriberStatus.ACTIVE
    assert len(smtp_server.messages) == 13


def test_international_local_parts_go_out_when_the_server_offers_smtputf8(
    clean_db: Engine, smtputf8_server: SMTPTestServer, tmp_path: Path
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)
        for email in ["reader@example.org", *UNSENDABLE]:
            add_subscriber(session, email)
    settings = settings_for(tmp_path, clean_db, mail_url=smtputf8_server.url)
    final = send_edition(settings, make_session_factory(clean_db), edition_date=DAY)

    assert (final.counts.sent, final.counts.failed) == (4, 0)
    [received] = smtputf8_server.messages_to("用户@example.org")
    # RFC 6532: the header is UTF-8 as it stands.
    message = message_from_string(received.raw.decode("utf-8"), policy=policy.default)
    assert str(message["To"]) == "用户@example.org"


def test_a_row_that_cannot_be_mailed_fails_alone_with_its_reason(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)
        add_subscriber(session, "before@example.org")
        broken = add_subscriber(session, "placeholder@example.org")
        add_subscriber(session, "after@example.org")
        # Written by hand, past every check a form or import would make.
        session.execute(
            text("UPDATE subscriber SET email = :email WHERE id = :id"),
            {"email": "x@example.org\r\nBcc: victim@example.org", "id": broken.id},
        )
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    final = send_edition(settings, make_session_factory(clean_db), edition_date=DAY)

    assert (final.counts.sent, final.counts.failed) == (2, 1)
    assert sorted(r for m in smtp_server.messages for r in m.recipients) == [
        "after@example.org",
        "before@example.org",
    ]
    status, reason = _outcomes(clean_db)["x@example.org\r\nBcc: victim@example.org"]
    assert status == DeliveryStatus.FAILED and reason and "cannot compose" in reason


def test_paperboy_send_finishes_and_lists_the_unsendable(
    postgresql_engine: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    from tests.factories import truncate_all

    truncate_all(postgresql_engine)
    readers = [f"reader{n:04d}@example.org" for n in range(997)]
    try:
        with transaction(make_session_factory(postgresql_engine)) as session:
            add_papers(session)
            session.execute(
                Subscriber.__table__.insert(),
                [
                    {"email": email, "interests": "GUI agents", "status": SubscriberStatus.ACTIVE}
                    for email in readers + UNSENDABLE
                ],
            )
        settings = settings_for(tmp_path, postgresql_engine, mail_url=smtp_server.url)
        env = {
            **os.environ,
            "PAPERBOY_DATABASE_URL": settings.database_url,
            "PAPERBOY_MAIL_URL": smtp_server.url,
            "PAPERBOY_SECRET_KEY": settings.secret_key,
            "PAPERBOY_VAR_DIR": str(tmp_path / "var"),
            "COLUMNS": "100",
        }
        env.pop("PAPERBOY_BROKER_URL", None)
        done = subprocess.run(
            [str(Path(sys.executable).parent / "paperboy"), "send", "--date", DAY.isoformat()],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "997 sent, 3 failed" in done.stderr
        for email in UNSENDABLE:
            assert email in done.stderr
        assert len(smtp_server.messages) == 997
    finally:
        truncate_all(postgresql_engine)
