"""Editions: create, fan out, pause, resume, cancel, retry, progress.

Plain functions for the CLI, the beat tasks and the admin. They take a session
and never commit. Functions that produce work return the new chunks of delivery
ids and, when given ``enqueue``, hand each chunk to it once the caller's
transaction has committed (so a worker never looks for uncommitted rows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import JSON, exists, func, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import on_commit, utcnow
from app.editions.audience import DAILY_SLOT, candidate_papers, due_subscribers
from app.editions.errors import EditionNotFound, EditionStateError
from app.models import Delivery, DeliveryStatus, Edition, EditionStatus

# Called with (edition id, delivery ids) for each chunk, after commit.
ChunkEnqueuer = Callable[[int, list[int]], None]

ACTIVE = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class EditionProgress:
    edition_id: int
    status: EditionStatus
    recipients: int
    sent: int
    failed: int
    bounced: int
    skipped: int
    pending: int
    sending: int
    rate_per_second: float
    eta_seconds: float | None
    pause_reason: str | None

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.bounced + self.skipped

    @property
    def finished(self) -> bool:
        return self.status in (EditionStatus.FINISHED, EditionStatus.CANCELLED)


def _insert(session: Session) -> type[postgresql.Insert] | type[sqlite.Insert]:
    return postgresql.Insert if session.get_bind().dialect.name == "postgresql" else sqlite.Insert


def get_edition(session: Session, edition_id: int) -> Edition:
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise EditionNotFound(f"there is no edition {edition_id}")
    return edition


def create_edition(
    session: Session,
    *,
    edition_date: date,
    slot: str = DAILY_SLOT,
    lookback_days: int = 6,
) -> Edition:
    """The edition for ``edition_date`` and ``slot``, created with its candidates if new.

    Idempotent and safe under concurrency (two beats, a double click): the
    unique (date, slot) constraint and ON CONFLICT DO NOTHING decide the winner.
    """
    existing = session.scalars(
        select(Edition).where(Edition.edition_date == edition_date, Edition.slot == slot)
    ).one_or_none()
    if existing is not None:
        return existing
    papers = candidate_papers(session, edition_date=edition_date, lookback_days=lookback_days)
    now = utcnow()
    session.execute(
        _insert(session)(Edition)
        .values(
            edition_date=edition_date,
            slot=slot,
            status=EditionStatus.DRAFT,
            paper_ids=papers,
            recipients=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["edition_date", "slot"])
    )
    return session.scalars(
        select(Edition).where(Edition.edition_date == edition_date, Edition.slot == slot)
    ).one()


def start_edition(
    session: Session,
    *,
    edition_id: int,
    settings: Settings,
    enqueue: ChunkEnqueuer | None = None,
) -> list[list[int]]:
    """Create one pending delivery per due subscriber (before any mail), return new chunks.

    Insert-from-select with ON CONFLICT DO NOTHING: running it twice (or
    concurrently) creates no second delivery and returns no second chunk.
    An edition without candidate papers finishes at once: nobody gets an empty digest.
    """
    edition = get_edition(session, edition_id)
    if edition.status == EditionStatus.CANCELLED:
        raise EditionStateError("this edition was cancelled; create a new one to send")
    now = utcnow()
    if not edition.paper_ids:
        edition.status = EditionStatus.FINISHED
        edition.pause_reason = "no papers to send for this date"
        edition.finished_at = edition.finished_at or now
        return []
    audience = due_subscribers(session, edition=edition, send_hour_utc=settings.send_hour_utc)
    rows = audience.with_only_columns(
        literal(edition_id),
        audience.selected_columns[0],
        literal(DeliveryStatus.PENDING.value),
        literal(0),
        literal([], JSON),
        literal(now, Delivery.created_at.type),
        literal(now, Delivery.updated_at.type),
    )
    insert = (
        _insert(session)(Delivery)
        .from_select(
            [
                "edition_id",
                "subscriber_id",
                "status",
                "attempts",
                "picks",
                "created_at",
                "updated_at",
            ],
            rows,
        )
        .on_conflict_do_nothing(index_elements=["edition_id", "subscriber_id"])
        .returning(Delivery.id)
    )
    new_ids = sorted(session.scalars(insert).all())
    if len(new_ids) >= 1000 and session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, or the planner may serve every claim (id IN chunk)
        # through the (edition, status) index, reading the whole edition each time.
        session.execute(text("ANALYZE delivery"))
    if new_ids or edition.status == EditionStatus.DRAFT:
        edition.status = EditionStatus.SENDING if new_ids else EditionStatus.FINISHED
        edition.started_at = edition.started_at or now
        if not new_ids:
            edition.finished_at = now
    edition.recipients = (
        session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.edition_id == edition_id)
        )
        or 0
    )
    chunks = chunk_ids(new_ids, settings.send_chunk_size)
    enqueue_after_commit(session, edition_id, chunks, enqueue)
    return chunks


def send_edition(
    session: Session,
    *,
    edition_date: date,
    settings: Settings,
    slot: str = DAILY_SLOT,
    enqueue: ChunkEnqueuer | None = None,
) -> tuple[Edition, list[list[int]]]:
    """Create (or find) the edition and fan it out: what the CLI and the beat job do."""
    edition = create_edition(
        session, edition_date=edition_date, slot=slot, lookback_days=settings.edition_lookback_days
    )
    if edition.status in (EditionStatus.CANCELLED, EditionStatus.PAUSED):
        return edition, []
    return edition, start_edition(
        session, edition_id=edition.id, settings=settings, enqueue=enqueue
    )


fan_out = start_edition


def pause_edition(session: Session, *, edition_id: int, reason: str) -> Edition:
    """Stop claiming new deliveries (messages already being sent finish)."""
    edition = get_edition(session, edition_id)
    if edition.status not in (EditionStatus.SENDING, EditionStatus.PAUSED):
        raise EditionStateError(f"only a sending edition can be paused (it is {edition.status})")
    edition.status = EditionStatus.PAUSED
    edition.pause_reason = reason
    return edition


def resume_edition(
    session: Session, *, edition_id: int, settings: Settings, enqueue: ChunkEnqueuer | None = None
) -> list[list[int]]:
    """Sending again; pending deliveries are due now (enqueued here or by recovery)."""
    edition = get_edition(session, edition_id)
    if edition.status != EditionStatus.PAUSED:
        raise EditionStateError(f"only a paused edition can be resumed (it is {edition.status})")
    edition.status = EditionStatus.SENDING
    edition.pause_reason = None
    return _make_pending_due(session, edition_id, settings, enqueue)


def cancel_edition(session: Session, *, edition_id: int) -> Edition:
    """Nothing more goes out; pending deliveries become skipped."""
    edition = get_edition(session, edition_id)
    if edition.status == EditionStatus.FINISHED:
        raise EditionStateError("this edition has already been sent")
    now = utcnow()
    edition.status = EditionStatus.CANCELLED
    edition.finished_at = now
    session.execute(
        update(Delivery)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error="edition cancelled", updated_at=now),
        execution_options={"synchronize_session": False},
    )
    return edition


def retry_failed(
    session: Session,
    *,
    edition_id: int,
    settings: Settings | None = None,
    enqueue: ChunkEnqueuer | None = None,
) -> int:
    """Give failed deliveries a fresh set of attempts; returns how many."""
    edition = get_edition(session, edition_id)
    if edition.status == EditionStatus.CANCELLED:
        raise EditionStateError("this edition was cancelled")
    now = utcnow()
    result = session.execute(
        update(Delivery)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.FAILED)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count and edition.status == EditionStatus.FINISHED:
        edition.status = EditionStatus.SENDING
        edition.finished_at = None
    if count and enqueue is not None and settings is not None:
        _make_pending_due(session, edition_id, settings, enqueue)
    return count


def _make_pending_due(
    session: Session, edition_id: int, settings: Settings, enqueue: ChunkEnqueuer | None
) -> list[list[int]]:
    now = utcnow()
    ids = sorted(
        session.scalars(
            select(Delivery.id).where(
                Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING
            )
        ).all()
    )
    # Without an enqueuer, recovery picks them up on its next run (next_attempt_at = now).
    session.execute(
        update(Delivery)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
        .values(next_attempt_at=None if enqueue else now, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    chunks = chunk_ids(ids, settings.send_chunk_size)
    enqueue_after_commit(session, edition_id, chunks, enqueue)
    return chunks


def pending_chunks(
    session: Session, *, edition_id: int, settings: Settings, enqueue: ChunkEnqueuer | None
) -> list[list[int]]:
    """Chunks of every pending delivery of the edition (enqueued after commit if asked)."""
    ids = session.scalars(
        select(Delivery.id)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
        .order_by(Delivery.id)
    ).all()
    chunks = chunk_ids(ids, settings.send_chunk_size)
    enqueue_after_commit(session, edition_id, chunks, enqueue)
    return chunks


def finish_if_done(session: Session, *, edition_id: int) -> bool:
    """Mark a sending edition finished once nothing is pending or in flight."""
    outstanding = exists().where(Delivery.edition_id == edition_id, Delivery.status.in_(ACTIVE))
    result = session.execute(
        update(Edition)
        .where(Edition.id == edition_id, Edition.status == EditionStatus.SENDING, ~outstanding)
        .values(status=EditionStatus.FINISHED, finished_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def edition_progress(session: Session, *, edition_id: int) -> EditionProgress:
    """Counts by state, recent rate and ETA (for the CLI bar and the admin dashboard)."""
    edition = get_edition(session, edition_id)
    session.refresh(edition)
    counts = dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.edition_id == edition_id)
            .group_by(Delivery.status)
        ).all()
    )
    now = utcnow()
    window = 30.0
    if edition.started_at is not None:
        window = max(1.0, min(window, (now - edition.started_at).total_seconds()))
    recent = (
        session.scalar(
            select(func.count()).where(
                Delivery.edition_id == edition_id,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.sent_at >= now - timedelta(seconds=window),
            )
        )
        or 0
    )
    rate = recent / window
    outstanding = counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.SENDING, 0)
    return EditionProgress(
        edition_id=edition_id,
        status=edition.status,
        recipients=sum(counts.values()),
        sent=counts.get(DeliveryStatus.SENT, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        bounced=counts.get(DeliveryStatus.BOUNCED, 0),
        skipped=counts.get(DeliveryStatus.SKIPPED, 0),
        pending=counts.get(DeliveryStatus.PENDING, 0),
        sending=counts.get(DeliveryStatus.SENDING, 0),
        rate_per_second=rate,
        eta_seconds=outstanding / rate if rate > 0 else None,
        pause_reason=edition.pause_reason,
    )


def chunk_ids(ids: Sequence[int], size: int) -> list[list[int]]:
    size = max(1, size)
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def enqueue_after_commit(
    session: Session, edition_id: int, chunks: list[list[int]], enqueue: ChunkEnqueuer | None
) -> None:
    if enqueue is None or not chunks:
        return

    def _enqueue_all() -> None:
        for chunk in chunks:
            enqueue(edition_id, chunk)

    on_commit(session, _enqueue_all)
