"""Editions: create one, fan it out to its recipients, hand out chunks, finish it.

Plain functions for the CLI, the beat jobs and the admin. They take a session
and never commit. Functions that produce work return the new chunks of delivery
ids and, with ``enqueue=True``, queue an ``editions.send_chunk`` job for each
once the caller's transaction has committed (so a worker never looks for
uncommitted rows). Pause, resume, cancel and retry live in ``actions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import JSON, exists, func, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import jobs
from app.config import Settings
from app.db import utcnow
from app.editions.audience import DAILY_SLOT, candidate_papers, due_subscribers
from app.editions.errors import EditionNotFound, EditionStateError
from app.models import Delivery, DeliveryStatus, Edition, EditionStatus

ACTIVE = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


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


# pg_advisory_xact_lock's first key: the fan-outs' own namespace ("PB").
FAN_OUT_LOCK = 0x5042


def lock_edition_date(session: Session, day: date) -> None:
    """Fan-outs of one date take turns, until the transaction ends.

    A reader is due in one edition of a date only (``due_subscribers`` leaves out who
    has a delivery in another), but two fan-outs at once (``paperboy send`` and the
    hour's slot) would each miss the other's uncommitted rows and both mail them. On
    PostgreSQL the second waits here and then sees the first's rows (READ COMMITTED:
    each statement reads what was committed before it began); SQLite's writers already
    take turns (``BEGIN IMMEDIATE``).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :day)"),
            {"namespace": FAN_OUT_LOCK, "day": day.toordinal()},
        )


def fan_out_edition(
    session: Session, *, edition_id: int, settings: Settings, enqueue: bool = False
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
    lock_edition_date(session, edition.edition_date)
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
    if enqueue:
        enqueue_chunks(session, settings=settings, edition_id=edition_id, chunks=chunks)
    return chunks


def open_edition(
    session: Session,
    *,
    edition_date: date,
    settings: Settings,
    slot: str = DAILY_SLOT,
    enqueue: bool = False,
) -> tuple[Edition, list[list[int]]]:
    """Create (or find) the edition and fan it out: what the CLI and the beat job do."""
    edition = create_edition(
        session, edition_date=edition_date, slot=slot, lookback_days=settings.edition_lookback_days
    )
    if edition.status in (EditionStatus.CANCELLED, EditionStatus.PAUSED):
        return edition, []
    return edition, fan_out_edition(
        session, edition_id=edition.id, settings=settings, enqueue=enqueue
    )


def pending_chunks(
    session: Session, *, edition_id: int, settings: Settings, enqueue: bool = False
) -> list[list[int]]:
    """Chunks of every pending delivery of the edition (enqueued after commit if asked)."""
    ids = session.scalars(
        select(Delivery.id)
        .where(Delivery.edition_id == edition_id, Delivery.status == DeliveryStatus.PENDING)
        .order_by(Delivery.id)
    ).all()
    chunks = chunk_ids(ids, settings.send_chunk_size)
    if enqueue:
        enqueue_chunks(session, settings=settings, edition_id=edition_id, chunks=chunks)
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


def chunk_ids(ids: Sequence[int], size: int) -> list[list[int]]:
    size = max(1, size)
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def enqueue_chunks(
    session: Session | None,
    *,
    settings: Settings,
    edition_id: int,
    chunks: list[list[int]],
    wait_for_broker: bool = False,
) -> None:
    """One ``editions.send_chunk`` job per chunk, after ``session`` commits (now without one).

    After a commit (an admin's action, the schedule, recovery) the chunks never hold up
    the caller, broker or not (``jobs.enqueue_in_turn``); without a session (``paperboy
    send``, which shows its progress chunk by chunk) each runs as it is queued.
    """
    if session is not None:
        jobs.enqueue_in_turn(
            "editions.send_chunk",
            [(edition_id, chunk) for chunk in chunks],
            settings=settings,
            session=session,
        )
        return
    for chunk in chunks:
        jobs.enqueue(
            "editions.send_chunk",
            edition_id,
            chunk,
            settings=settings,
            session=session,
            wait_for_broker=wait_for_broker,
        )


def open_slot_edition(
    session: Session, *, edition_date: date, slot: str, settings: Settings
) -> tuple[Edition | None, list[list[int]]]:
    """``open_edition`` for an hourly slot, but no edition at all when nobody is due.

    The beat opens a slot every hour; an empty "finished, 0 recipients" edition
    for each would fill the admin with 24 rows a day.
    """
    existing = session.scalars(
        select(Edition).where(Edition.edition_date == edition_date, Edition.slot == slot)
    ).one_or_none()
    if existing is None:
        probe = Edition(edition_date=edition_date, slot=slot)
        audience = due_subscribers(session, edition=probe, send_hour_utc=settings.send_hour_utc)
        if not session.scalar(select(audience.exists())):
            return None, []
    return open_edition(
        session, edition_date=edition_date, slot=slot, settings=settings, enqueue=True
    )
