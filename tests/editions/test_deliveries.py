"""Claims are atomic, leases expire into recovery, fan-out is idempotent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_session_factory, transaction, utcnow
from app.editions.actions import cancel_edition, pause_edition, retry_failed
from app.editions.deliveries import claim_deliveries
from app.editions.progress import edition_progress
from app.editions.recovery import recover_deliveries
from app.editions.service import create_edition, open_edition, open_slot_edition
from app.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    Frequency,
    Subscriber,
    SubscriberStatus,
)
from tests.factories import DAY, add_papers, add_subscriber, settings_for


def _edition_with(session: Session, settings: Settings, readers: int) -> tuple[int, list[int]]:
    add_papers(session, count=3)
    for n in range(readers):
        add_subscriber(session, f"r{n}@example.org")
    edition, chunks = open_edition(session, edition_date=DAY, settings=settings)
    return edition.id, [i for chunk in chunks for i in chunk]


def test_fan_out_twice_creates_each_delivery_once(session: Session, settings: Settings) -> None:
    edition_id, ids = _edition_with(session, settings, readers=7)
    again, chunks = open_edition(session, edition_date=DAY, settings=settings)
    assert again.id == edition_id and chunks == []
    assert create_edition(session, edition_date=DAY).id == edition_id
    count = session.scalar(select(func.count()).select_from(Delivery))
    assert count == len(ids) == 7


def test_weekly_readers_are_due_on_their_day_only(session: Session, settings: Settings) -> None:
    add_papers(session, count=2)
    add_subscriber(session, "thu@example.org", frequency=Frequency.WEEKLY, weekly_day=3)
    add_subscriber(session, "mon@example.org", frequency=Frequency.WEEKLY, weekly_day=0)
    edition, chunks = open_edition(session, edition_date=DAY, settings=settings)
    assert sum(len(c) for c in chunks) == 1
    assert edition.recipients == 1


def test_hourly_slot_takes_readers_whose_local_hour_it_is(
    session: Session, settings: Settings
) -> None:
    add_papers(session, count=2)
    add_subscriber(session, "paris@example.org", timezone="Europe/Paris", send_hour=8)
    add_subscriber(session, "utc@example.org", timezone="UTC", send_hour=7)
    add_subscriber(session, "tokyo@example.org", timezone="Asia/Tokyo", send_hour=8)
    _, seven = open_edition(session, edition_date=DAY, slot="h07", settings=settings)
    _, daily = open_edition(session, edition_date=DAY, settings=settings)
    # 07:00 UTC is 08:00 in Paris in November; Tokyo's reader is only in the daily run.
    assert sum(len(c) for c in seven) == 2
    assert sum(len(c) for c in daily) == 1


def test_two_claimers_never_take_the_same_delivery(session: Session, settings: Settings) -> None:
    edition_id, ids = _edition_with(session, settings, readers=10)
    now = utcnow()
    first = claim_deliveries(
        session, edition_id=edition_id, delivery_ids=ids, limit=6, lease_seconds=60, now=now
    )
    second = claim_deliveries(
        session, edition_id=edition_id, delivery_ids=ids, limit=6, lease_seconds=60, now=now
    )
    assert len(first) == 6 and len(second) == 4
    assert not {c.id for c in first} & {c.id for c in second}
    assert all(c.attempts == 1 for c in first + second)


def test_paused_edition_gives_out_no_claims(session: Session, settings: Settings) -> None:
    edition_id, ids = _edition_with(session, settings, readers=3)
    pause_edition(session, edition_id=edition_id, reason="testing")
    claimed = claim_deliveries(
        session, edition_id=edition_id, delivery_ids=ids, limit=10, lease_seconds=60, now=utcnow()
    )
    assert claimed == []


def test_recovery_reclaims_expired_leases_and_requeues_lost_work(
    clean_db: Engine, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, delivery_lease_seconds=60)
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        edition_id, ids = _edition_with(session, settings, readers=5)
    with transaction(factory) as session:
        claim_deliveries(
            session,
            edition_id=edition_id,
            delivery_ids=ids[:2],
            limit=2,
            lease_seconds=60,
            now=utcnow() - timedelta(seconds=120),  # a worker that died two minutes ago
        )
        # The other three were queued in a task that was lost long ago.
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids[2:]))
            .values(updated_at=utcnow() - timedelta(seconds=120))
        )
    with transaction(factory) as session:
        report = recover_deliveries(session, settings=settings)
    assert report.reclaimed == 2
    assert sorted(i for chunk in report.chunks[edition_id] for i in chunk) == sorted(ids)
    with transaction(factory) as session:
        assert recover_deliveries(session, settings=settings).requeued == 0  # not twice in a row
        statuses = set(session.scalars(select(Delivery.status)).all())
    assert statuses == {DeliveryStatus.PENDING}


def test_cancel_skips_pending_and_retry_failed_reopens(
    session: Session, settings: Settings
) -> None:
    edition_id, ids = _edition_with(session, settings, readers=4)
    session.execute(
        update(Delivery).where(Delivery.id == ids[0]).values(status=DeliveryStatus.FAILED)
    )
    assert retry_failed(session, edition_id=edition_id, settings=settings, enqueue=False).changed
    progress = edition_progress(session, edition_id=edition_id)
    assert (progress.counts.pending, progress.counts.failed, progress.counts.recipients) == (
        4,
        0,
        4,
    )
    edition = cancel_edition(session, edition_id=edition_id).edition
    assert edition.status == EditionStatus.CANCELLED
    assert edition_progress(session, edition_id=edition_id).counts.skipped == 4


def test_an_hourly_slot_nobody_is_due_in_creates_no_edition(
    session: Session, settings: Settings
) -> None:
    add_papers(session, count=3)
    add_subscriber(session, "seven@example.org", send_hour=7)
    edition, chunks = open_slot_edition(session, edition_date=DAY, slot="h03", settings=settings)
    assert (edition, chunks) == (None, [])
    assert session.scalar(select(func.count()).select_from(Edition)) == 0
    due, _ = open_slot_edition(session, edition_date=DAY, slot="h07", settings=settings)
    assert due is not None and due.recipients == 1


def test_two_fan_outs_of_one_date_at_once_give_each_reader_one_delivery(
    clean_db: Engine, tmp_path: Path
) -> None:
    # `paperboy send --date D` and the hour's slot job fanning out D at the same moment.
    import threading

    settings = settings_for(tmp_path, clean_db)
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        add_papers(session)
        session.add_all(
            Subscriber(
                email=f"reader{n}@example.org",
                interests="agents",
                status=SubscriberStatus.ACTIVE,
                frequency=Frequency.DAILY,
                send_hour=7,
                timezone="UTC",
            )
            for n in range(2000)
        )
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def fan_out(slot: str) -> None:
        try:
            with transaction(factory) as session:
                start.wait()
                if slot == "daily":
                    open_edition(session, edition_date=DAY, settings=settings)
                else:
                    open_slot_edition(session, edition_date=DAY, slot=slot, settings=settings)
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=fan_out, args=(slot,)) for slot in ("daily", "h07")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures
    with Session(clean_db) as session:
        per_reader = session.execute(
            select(Delivery.subscriber_id, func.count())
            .join(Edition, Edition.id == Delivery.edition_id)
            .where(Edition.edition_date == DAY)
            .group_by(Delivery.subscriber_id)
        ).all()
    assert len(per_reader) == 2000
    assert max(count for _, count in per_reader) == 1
