"""Drive one edition to the end: what ``paperboy send --date D`` does.

Fan out, then hand the chunks to ``enqueue`` (Celery workers) or, in embedded
mode, send them in this process; then keep running recovery (stale leases,
lost tasks, retries whose backoff has passed) until the edition is finished,
cancelled or paused, reporting progress after every step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import transaction
from app.editions.audience import DAILY_SLOT
from app.editions.recovery import recover_deliveries
from app.editions.service import (
    ChunkEnqueuer,
    EditionProgress,
    edition_progress,
    pending_chunks,
    send_edition,
)
from app.mailer.send import SendContext, send_chunk
from app.models import EditionStatus

ProgressCallback = Callable[[EditionProgress], None]
POLL_SECONDS = 0.5


def run_edition(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    edition_date: date,
    slot: str = DAILY_SLOT,
    enqueue: ChunkEnqueuer | None = None,
    on_progress: ProgressCallback | None = None,
) -> EditionProgress:
    """Send edition (date, slot) and wait for it; ``enqueue=None`` sends in-process."""
    local: list[tuple[int, list[int]]] = []
    target = enqueue or (lambda edition_id, ids: local.append((edition_id, ids)))
    with transaction(session_factory) as session:
        edition, chunks = send_edition(
            session, edition_date=edition_date, slot=slot, settings=settings, enqueue=target
        )
        edition_id = edition.id
        if not chunks and edition.status == EditionStatus.SENDING:
            # Fanned out before (an earlier run, the admin): take over what is
            # still pending now rather than wait for recovery's orphan timeout.
            # Claims are atomic, so a task still queued for these rows is harmless.
            pending_chunks(session, edition_id=edition_id, settings=settings, enqueue=target)
    context = (
        SendContext(settings=settings, session_factory=session_factory) if not enqueue else None
    )
    recovery_every = max(
        1.0, min(settings.recovery_interval_seconds, settings.delivery_lease_seconds / 2)
    )
    last_recovery = time.monotonic()
    try:
        while True:
            while local and context is not None:
                chunk_edition, ids = local.pop(0)
                send_chunk(context, edition_id=chunk_edition, delivery_ids=ids)
                _report(session_factory, edition_id, on_progress)
            progress = _report(session_factory, edition_id, on_progress)
            if progress.finished or progress.status == EditionStatus.PAUSED:
                return progress
            idle = progress.pending > 0 and progress.sending == 0 and context is not None
            if idle or time.monotonic() - last_recovery >= recovery_every:
                last_recovery = time.monotonic()
                with transaction(session_factory) as session:
                    report = recover_deliveries(session, settings=settings, enqueue=target)
                if report.requeued or report.finished:
                    continue
            time.sleep(POLL_SECONDS)
    finally:
        if context is not None:
            context.close()


def _report(
    session_factory: sessionmaker[Session], edition_id: int, on_progress: ProgressCallback | None
) -> EditionProgress:
    with transaction(session_factory) as session:
        progress = edition_progress(session, edition_id=edition_id)
    if on_progress is not None:
        on_progress(progress)
    return progress
