"""Drive one edition to the end: what ``paperboy send --date D`` does.

Fan out, then queue one ``editions.send_chunk`` job per chunk (Celery workers
take them, or, in embedded mode, this process sends each as it is queued),
then keep running recovery (stale leases, lost tasks, retries whose backoff has
passed) until the edition is finished, cancelled or paused, reporting progress
after every step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import transaction, wait_out_outage
from app.editions.audience import DAILY_SLOT
from app.editions.jobs import close_send_context
from app.editions.progress import EditionProgress, edition_progress
from app.editions.recovery import RecoveryReport, recover_deliveries
from app.editions.service import enqueue_chunks, open_edition, pending_chunks
from app.models import EditionStatus

ProgressCallback = Callable[[EditionProgress], None]
POLL_SECONDS = 0.5
T = TypeVar("T")


def send_edition(
    settings: Settings,
    session_factory: sessionmaker[Session],
    *,
    edition_date: date,
    slot: str = DAILY_SLOT,
    on_progress: ProgressCallback | None = None,
) -> EditionProgress:
    """Send edition (date, slot) to everyone due and wait until it is over (or paused).

    A database outage of up to ``DATABASE_OUTAGE_SECONDS`` (a restart, a failover)
    is waited out at every step, and so is a broker that is briefly away.
    """

    def open_and_fan_out() -> tuple[int, list[list[int]]]:
        with transaction(session_factory) as session:
            edition, chunks = open_edition(
                session, edition_date=edition_date, slot=slot, settings=settings, enqueue=False
            )
            if not chunks and edition.status == EditionStatus.SENDING:
                # Fanned out before (an earlier run, the admin): take over what is
                # still pending now rather than wait for recovery's orphan timeout.
                # Claims are atomic, so a task still queued for these rows is harmless.
                chunks = pending_chunks(
                    session, edition_id=edition.id, settings=settings, enqueue=False
                )
            return edition.id, chunks

    edition_id, chunks = _patiently(settings, open_and_fan_out, "opening the edition")
    try:
        return _drive(settings, session_factory, edition_id, chunks, on_progress)
    finally:
        # Chunks this process sent itself (embedded mode) leave an SMTP connection open.
        close_send_context()


def _drive(
    settings: Settings,
    session_factory: sessionmaker[Session],
    edition_id: int,
    chunks: list[list[int]],
    on_progress: ProgressCallback | None,
) -> EditionProgress:
    _queue(settings, session_factory, edition_id, chunks, on_progress)
    recovery_every = max(
        1.0, min(settings.recovery_interval_seconds, settings.delivery_lease_seconds / 2)
    )
    last_recovery = time.monotonic()
    while True:
        progress = _report(settings, session_factory, edition_id, on_progress)
        if progress.finished or progress.status == EditionStatus.PAUSED:
            return progress
        idle = progress.counts.pending > 0 and progress.counts.sending == 0
        if idle or time.monotonic() - last_recovery >= recovery_every:
            last_recovery = time.monotonic()
            report = _patiently(settings, partial(_recover, settings, session_factory), "recovery")
            for recovered_edition, recovered in report.chunks.items():
                _queue(settings, session_factory, recovered_edition, recovered, on_progress)
            if report.requeued or report.finished:
                continue
        time.sleep(POLL_SECONDS)


def _queue(
    settings: Settings,
    session_factory: sessionmaker[Session],
    edition_id: int,
    chunks: list[list[int]],
    on_progress: ProgressCallback | None,
) -> None:
    # One chunk at a time, with progress between: in embedded mode each job runs
    # as it is queued, so the bar moves chunk by chunk.
    for chunk in chunks:
        enqueue_chunks(
            None, settings=settings, edition_id=edition_id, chunks=[chunk], wait_for_broker=True
        )
        _report(settings, session_factory, edition_id, on_progress)


def _recover(settings: Settings, session_factory: sessionmaker[Session]) -> RecoveryReport:
    with transaction(session_factory) as session:
        return recover_deliveries(session, settings=settings, enqueue=False)


def _report(
    settings: Settings,
    session_factory: sessionmaker[Session],
    edition_id: int,
    on_progress: ProgressCallback | None,
) -> EditionProgress:
    def read() -> EditionProgress:
        with transaction(session_factory) as session:
            return edition_progress(session, edition_id=edition_id)

    progress = _patiently(settings, read, "following the send")
    if on_progress is not None:
        on_progress(progress)
    return progress


def _patiently(settings: Settings, work: Callable[[], T], what: str) -> T:
    return wait_out_outage(work, patience_seconds=settings.database_outage_seconds, what=what)
