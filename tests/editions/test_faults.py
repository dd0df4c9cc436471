"""Temporary failures are retried, hard bounces suppressed, dropped connections survived."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.editions.actions import resume_edition
from app.editions.progress import edition_progress
from app.editions.running import send_edition
from app.models import (
    Delivery,
    DeliveryStatus,
    EditionStatus,
    Subscriber,
    SubscriberStatus,
    Suppression,
    SuppressionReason,
)
from tests.factories import DAY, add_papers, add_subscriber, settings_for
from tests.smtp_server import SMTPTestServer

READERS = [f"reader{n}@example.org" for n in range(6)]


def _setup(engine: Engine) -> None:
    with transaction(make_session_factory(engine)) as session:
        add_papers(session)
        for email in READERS:
            add_subscriber(session, email)


def test_temporary_failures_are_retried_and_delivered_exactly_once(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    _setup(clean_db)
    smtp_server.faults.temporary[READERS[0]] = 2
    smtp_server.faults.temporary[READERS[1]] = 1
    smtp_server.faults.drop_during_data[READERS[2]] = 1
    final = send_edition(settings, make_session_factory(clean_db), edition_date=DAY)
    assert final.status == EditionStatus.FINISHED
    for email in READERS:
        assert len(smtp_server.messages_to(email)) == 1, email
    with Session(clean_db) as session:
        attempts = dict(
            session.execute(
                select(Subscriber.email, Delivery.attempts).join(
                    Delivery, Delivery.subscriber_id == Subscriber.id
                )
            ).all()
        )
    assert (attempts[READERS[0]], attempts[READERS[1]], attempts[READERS[2]]) == (3, 2, 2)
    # The next message was pipelined behind the dropped one (its commands went out in
    # the same write), so it is retried too; the ones after it go through at once.
    assert attempts[READERS[3]] in (1, 2)
    assert attempts[READERS[4]] == attempts[READERS[5]] == 1


def test_temporary_failures_give_up_after_max_attempts(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url, delivery_max_attempts=3)
    _setup(clean_db)
    smtp_server.faults.temporary[READERS[0]] = 10
    final = send_edition(settings, make_session_factory(clean_db), edition_date=DAY)
    assert (final.counts.sent, final.counts.failed) == (5, 1)
    assert smtp_server.messages_to(READERS[0]) == []


def test_hard_bounce_suppresses_the_address_and_the_next_edition_skips_it(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    _setup(clean_db)
    smtp_server.faults.permanent.add(READERS[4])
    final = send_edition(settings, make_session_factory(clean_db), edition_date=DAY)
    assert (final.counts.sent, final.counts.bounced) == (5, 1)
    with Session(clean_db) as session:
        suppression = session.scalars(select(Suppression)).one()
        bounced = session.scalars(select(Subscriber).where(Subscriber.email == READERS[4])).one()
        delivery = session.scalars(
            select(Delivery).where(Delivery.subscriber_id == bounced.id)
        ).one()
    assert (suppression.email, suppression.reason) == (READERS[4], SuppressionReason.HARD_BOUNCE)
    assert bounced.status == SubscriberStatus.BOUNCED
    assert (delivery.status, delivery.smtp_code, delivery.attempts) == (
        DeliveryStatus.BOUNCED,
        550,
        1,
    )
    second = send_edition(
        settings, make_session_factory(clean_db), edition_date=DAY.replace(day=28)
    )
    with Session(clean_db) as session:
        due = session.scalars(
            select(Subscriber.email)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.edition_id == second.edition_id)
        ).all()
    assert sorted(due) == sorted(READERS[:4] + READERS[5:])
    # Nothing new was featured on the 28th: no empty digests either.
    assert (second.counts.sent, second.counts.skipped) == (0, 5)
    assert len(smtp_server.messages) == 5


def test_edition_pauses_itself_when_most_mail_bounces_and_can_be_resumed(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings = settings_for(
        tmp_path,
        clean_db,
        mail_url=smtp_server.url,
        send_pause_min_attempts=3,
        send_pause_error_rate=0.5,
        send_batch_size=3,
    )
    _setup(clean_db)
    smtp_server.faults.temporary.update({email: 1 for email in READERS[:4]})
    factory = make_session_factory(clean_db)
    paused = send_edition(settings, factory, edition_date=DAY)
    assert paused.status == EditionStatus.PAUSED
    assert paused.pause_reason is not None and "resume" in paused.pause_reason
    assert paused.counts.pending > 0
    with transaction(factory) as session:
        resume_edition(session, edition_id=paused.edition_id, settings=settings)
    final = send_edition(settings, factory, edition_date=DAY)
    assert final.status == EditionStatus.FINISHED
    assert final.counts.sent == len(READERS)
    for email in READERS:
        assert len(smtp_server.messages_to(email)) == 1
    with Session(clean_db) as session:
        assert edition_progress(session, edition_id=final.edition_id).counts.pending == 0
