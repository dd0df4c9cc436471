"""Stored dashboard figures: reused while fresh, recounted when stale, refreshed by the job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.admin.editions import recent_editions
from app.admin.overview import status_figure
from app.admin.refresh import refresh_dashboard
from app.admin.stats_cache import cached_figure
from app.db import utcnow
from app.models import (
    DashboardStat,
    Delivery,
    DeliveryStatus,
    EditionStatus,
    Subscriber,
    SubscriberStatus,
)
from tests.admin.scenario import seed_scenario


def test_a_fresh_figure_is_reused_and_a_stale_one_recomputed(session: Session) -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    now = utcnow()
    assert cached_figure(session, key="k", max_age_seconds=60, compute=compute, now=now)[0] == 1
    later = now + timedelta(seconds=30)
    assert cached_figure(session, key="k", max_age_seconds=60, compute=compute, now=later)[0] == 1
    stale = now + timedelta(seconds=61)
    assert cached_figure(session, key="k", max_age_seconds=60, compute=compute, now=stale)[0] == 2


def test_refresh_job_brings_stored_counts_up_to_date(session: Session) -> None:
    seed_scenario(session)
    before, _ = status_figure(session)
    session.execute(update(Subscriber).values(status=SubscriberStatus.ACTIVE))
    assert status_figure(session)[0] == before  # still the stored figure
    refresh_dashboard(session)
    assert status_figure(session)[0][SubscriberStatus.ACTIVE] == 19
    assert session.scalars(select(DashboardStat.key)).all()


def test_an_edition_in_flight_is_always_counted_live(session: Session) -> None:
    scenario = seed_scenario(session)
    assert scenario.today_edition and scenario.yesterday_edition
    recent_editions(session)  # stores both
    session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENT)
    )
    rows = {row.edition.id: row for row in recent_editions(session)}
    live = rows[scenario.today_edition.id].counts
    assert live.pending == 0 and live.sent == 7 and live.recipients == 12


def test_an_edition_shown_as_finished_never_shows_pending_deliveries(session: Session) -> None:
    scenario = seed_scenario(session)
    edition = scenario.today_edition
    assert edition is not None
    [row] = [r for r in recent_editions(session) if r.edition.id == edition.id]
    assert row.counts.pending > 0  # counted (and stored) while it was sending
    session.execute(
        update(Delivery)
        .where(
            Delivery.edition_id == edition.id,
            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
        )
        .values(status=DeliveryStatus.SENT, sent_at=utcnow())
    )
    edition.status = EditionStatus.FINISHED
    edition.finished_at = utcnow()
    session.flush()
    [row] = [r for r in recent_editions(session) if r.edition.id == edition.id]
    assert (row.counts.pending, row.counts.sending) == (0, 0)
    assert row.counts.sent == row.counts.recipients - row.counts.failed - row.counts.bounced - (
        row.counts.skipped
    )


def test_subscriber_counts_are_never_older_than_the_edition_beside_them(
    session: Session,
) -> None:
    seed_scenario(session)
    before, computed_at = status_figure(session)
    session.execute(update(Subscriber).values(status=SubscriberStatus.ACTIVE))
    assert status_figure(session)[0] == before  # reused: nothing started since
    fresh, _ = status_figure(session, not_before=computed_at + timedelta(seconds=1))
    assert fresh[SubscriberStatus.ACTIVE] == sum(fresh.values())
