"""Recovery: put lost work back in the queue (the beat job and ``paperboy send`` run it).

It never relies on the broker's visibility timeout: deliveries left ``sending``
past their lease are reclaimed, pending deliveries whose task is gone (or whose
retry is due) are re-enqueued, and editions with nothing left are finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.editions.deliveries import reclaim_stale, take_due_pending
from app.editions.service import chunk_ids, enqueue_chunks, finish_if_done
from app.models import Edition, EditionStatus


@dataclass
class RecoveryReport:
    reclaimed: int = 0
    requeued: int = 0
    finished: list[int] = field(default_factory=list)
    chunks: dict[int, list[list[int]]] = field(default_factory=dict)


def recover_deliveries(
    session: Session, *, settings: Settings, enqueue: bool = False
) -> RecoveryReport:
    """Reclaim stale rows, collect due pending rows into chunks, finish finished editions."""
    now = utcnow()
    report = RecoveryReport()
    report.reclaimed = reclaim_stale(session, now=now, max_attempts=settings.delivery_max_attempts)
    due = take_due_pending(session, now=now, orphan_after_seconds=settings.delivery_lease_seconds)
    for edition_id, ids in due.items():
        report.requeued += len(ids)
        chunks = chunk_ids(ids, settings.send_chunk_size)
        report.chunks[edition_id] = chunks
        if enqueue:
            enqueue_chunks(session, settings=settings, edition_id=edition_id, chunks=chunks)
    sending = session.scalars(select(Edition.id).where(Edition.status == EditionStatus.SENDING))
    for edition_id in sending.all():
        if edition_id not in due and finish_if_done(session, edition_id=edition_id):
            report.finished.append(edition_id)
    return report
