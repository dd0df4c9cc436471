"""The figures that live in the database, each one cheap at a million subscribers.

Deliveries are counted per edition by ``app.editions.progress.delivery_counts`` (on
PostgreSQL the sums of the trigger-kept ``delivery_tally``), and the counts kept in
``dashboard_stat``: an edition in flight is recounted when its counts
are 10 seconds old (several scrapers, or one per web process, share one count), a
closed one after minutes or an hour (its numbers barely move after the send: a late
bounce), so a scrape reads one stored row per edition instead of every delivery.
Subscribers are grouped on the ``(status, created_at)`` index (the admin's figure,
reused); ingest runs are a small table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.admin.overview import status_figure
from app.admin.stats_cache import store_figure, stored_figures
from app.db import utcnow
from app.editions.progress import delivery_counts
from app.models import (
    DeliveryStatus,
    Edition,
    EditionStatus,
    IngestRun,
    IngestRunStatus,
    SubscriberStatus,
)

IN_PROGRESS = (EditionStatus.SENDING, EditionStatus.PAUSED)
BACKLOG = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
# How long a closed edition's counts are reused: late bounces arrive in the first days.
RECENT_CLOSED_MAX_AGE = timedelta(minutes=5)
OLD_CLOSED_MAX_AGE = timedelta(hours=1)
RECENT_DAYS = 3
IN_PROGRESS_MAX_AGE = timedelta(seconds=10)
SUBSCRIBERS_MAX_AGE_SECONDS = 60


@dataclass(frozen=True)
class EditionInProgress:
    id: int
    edition_date: date
    status: EditionStatus
    backlog: int


@dataclass(frozen=True)
class Figures:
    deliveries: dict[DeliveryStatus, int]
    subscribers: dict[SubscriberStatus, int]
    editions_in_progress: list[EditionInProgress]
    last_successful_ingest_at: datetime | None


def read_figures(session: Session, *, now: datetime | None = None) -> Figures:
    """Everything ``/metrics`` reports from the database (stores reused counts; no commit)."""
    now = now or utcnow()
    per_edition = _deliveries_per_edition(session, now)
    deliveries = dict.fromkeys(DeliveryStatus, 0)
    for counts in per_edition.values():
        for status, number in counts.items():
            deliveries[status] += number
    editions = session.execute(
        select(Edition.id, Edition.edition_date, Edition.status)
        .where(Edition.status.in_(IN_PROGRESS))
        .order_by(Edition.id)
    ).all()
    in_progress = [
        EditionInProgress(
            id=edition_id,
            edition_date=edition_date,
            status=EditionStatus(status),
            backlog=sum(per_edition.get(edition_id, {}).get(s, 0) for s in BACKLOG),
        )
        for edition_id, edition_date, status in editions
    ]
    subscribers, _ = status_figure(session, max_age_seconds=SUBSCRIBERS_MAX_AGE_SECONDS)
    last_ingest = session.scalar(
        select(func.max(IngestRun.finished_at)).where(IngestRun.status == IngestRunStatus.SUCCEEDED)
    )
    return Figures(
        deliveries=deliveries,
        subscribers=subscribers,
        editions_in_progress=in_progress,
        last_successful_ingest_at=last_ingest,
    )


def _deliveries_per_edition(
    session: Session, now: datetime
) -> dict[int, dict[DeliveryStatus, int]]:
    editions = session.execute(
        select(Edition.id, Edition.edition_date, Edition.status, Edition.finished_at)
    ).all()
    keys = {edition_id: f"metrics.deliveries.{edition_id}" for edition_id, *_ in editions}
    stored = stored_figures(session, list(keys.values()))
    counts: dict[int, dict[DeliveryStatus, int]] = {}
    to_count: list[int] = []
    for edition_id, edition_date, status, finished_at in editions:
        row = stored.get(keys[edition_id])
        # A count taken while the edition was sending is no count of the closed edition.
        if row is not None and not (finished_at is not None and row.computed_at < finished_at):
            recent = edition_date >= now.date() - timedelta(days=RECENT_DAYS)
            max_age = RECENT_CLOSED_MAX_AGE if recent else OLD_CLOSED_MAX_AGE
            if status in IN_PROGRESS:
                max_age = IN_PROGRESS_MAX_AGE
            if timedelta(0) <= now - row.computed_at <= max_age:
                counts[edition_id] = {DeliveryStatus(s): int(n) for s, n in row.value.items()}
                continue
        to_count.append(edition_id)
    if not to_count:
        return counts
    # The progress module's counts (on PostgreSQL, sums of the delivery tally).
    for edition_id, tally in delivery_counts(session, to_count).items():
        by_status = tally.as_dict()
        counts[edition_id] = {DeliveryStatus(s): n for s, n in by_status.items() if n}
    for edition_id in to_count:
        value = {s.value: n for s, n in counts[edition_id].items()}
        store_figure(session, key=keys[edition_id], value=value, now=now)
    return counts
