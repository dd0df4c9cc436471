"""An edition's delivery counts are the rows' own, whichever way the rows change.

On PostgreSQL the counts are sums of ``delivery_tally``, written by a trigger on
every statement that inserts, updates or deletes deliveries; these tests hold
them to a plain ``GROUP BY`` of the rows through fan-out, claims, recorded
outcomes (one at a time and in groups), a rolled-back savepoint, a reader who
is deleted, folding, and a deleted edition.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.editions.deliveries import DeliveryResult, claim_deliveries, record_results
from app.editions.progress import DeliveryCounts, delivery_counts, fold_tallies
from app.editions.service import open_edition
from app.models import Delivery, DeliveryStatus, DeliveryTally, Edition, EditionStatus, Subscriber
from tests.factories import DAY, add_papers, add_subscriber


def counted_rows(session: Session, edition_id: int) -> DeliveryCounts:
    counts = DeliveryCounts()
    for status, number in session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.edition_id == edition_id)
        .group_by(Delivery.status)
    ):
        setattr(counts, DeliveryStatus(status).value, number)
    return counts


def assert_counts_match(session: Session, edition_id: int) -> DeliveryCounts:
    session.flush()
    counts = delivery_counts(session, [edition_id])[edition_id]
    assert counts == counted_rows(session, edition_id)
    return counts


def test_counts_follow_every_change_to_an_editions_deliveries(
    session: Session, settings: Settings
) -> None:
    add_papers(session, count=3)
    for n in range(40):
        add_subscriber(session, f"r{n}@example.org")
    edition, chunks = open_edition(session, edition_date=DAY, settings=settings)
    ids = [i for chunk in chunks for i in chunk]
    edition.status = EditionStatus.SENDING
    assert assert_counts_match(session, edition.id).pending == 40

    now = utcnow()
    claimed = claim_deliveries(
        session, edition_id=edition.id, delivery_ids=ids, limit=30, lease_seconds=60, now=now
    )
    assert assert_counts_match(session, edition.id).sending == 30

    outcomes = [DeliveryStatus.SENT] * 20 + [DeliveryStatus.FAILED] * 5 + [DeliveryStatus.BOUNCED]
    results = [
        DeliveryResult(claim.id, status, error=None if status == "sent" else "550 no")
        for claim, status in zip(claimed, outcomes, strict=False)
    ]
    record_results(session, results=results[:1], now=now)  # one alone, then a group
    record_results(session, results=results[1:], now=now)
    counts = assert_counts_match(session, edition.id)
    assert (counts.sent, counts.failed, counts.bounced, counts.sending) == (20, 5, 1, 4)

    # A savepoint rolled back takes its tally rows with it.
    with session.begin_nested() as nested:
        session.execute(delete(Delivery).where(Delivery.edition_id == edition.id))
        nested.rollback()
    assert assert_counts_match(session, edition.id).recipients == 40

    # A reader deleted: their delivery goes by the foreign key's cascade.
    gone = session.scalars(select(Subscriber).where(Subscriber.email == "r39@example.org")).one()
    session.delete(gone)
    assert assert_counts_match(session, edition.id).recipients == 39


def test_folding_keeps_the_counts_in_one_row_per_status(
    session: Session, settings: Settings
) -> None:
    add_papers(session, count=3)
    for n in range(12):
        add_subscriber(session, f"r{n}@example.org")
    edition, chunks = open_edition(session, edition_date=DAY, settings=settings)
    ids = [i for chunk in chunks for i in chunk]
    edition.status = EditionStatus.SENDING
    now = utcnow()
    for delivery_id in ids[:8]:
        claim_deliveries(
            session,
            edition_id=edition.id,
            delivery_ids=[delivery_id],
            limit=1,
            lease_seconds=60,
            now=now,
        )
        record_results(session, results=[DeliveryResult(delivery_id, DeliveryStatus.SENT)], now=now)
    before = assert_counts_match(session, edition.id)

    if session.get_bind().dialect.name == "postgresql":
        fold_tallies(session, [edition.id])
        rows = session.scalars(
            select(DeliveryTally.status).where(DeliveryTally.edition_id == edition.id)
        ).all()
        assert sorted(rows) == ["pending", "sent"]
    assert assert_counts_match(session, edition.id) == before
    assert (before.sent, before.pending) == (8, 4)


def test_a_deleted_edition_leaves_nothing_to_count(session: Session, settings: Settings) -> None:
    add_papers(session, count=3)
    for n in range(5):
        add_subscriber(session, f"r{n}@example.org")
    edition, _ = open_edition(session, edition_date=DAY, settings=settings)
    edition_id = edition.id
    session.execute(delete(Edition).where(Edition.id == edition_id))

    assert delivery_counts(session, [edition_id])[edition_id] == DeliveryCounts()
    if session.get_bind().dialect.name == "postgresql":
        fold_tallies(session, [edition_id])
        assert not session.scalars(
            select(DeliveryTally).where(DeliveryTally.edition_id == edition_id)
        ).all()
