"""The editions' jobs (``app.jobs`` names): send a chunk, recover, open the hourly slot.

Each process keeps one ``SendContext`` (one SMTP connection reused by every
chunk it sends, edition caches), made on first use and rebuilt when the
settings change; ``close_send_context`` closes it (a worker's shutdown).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from app.config import Settings
from app.db import session_factory_for, transaction
from app.editions.audience import hourly_slot
from app.editions.recovery import recover_deliveries
from app.editions.sending import SendContext
from app.editions.sending import send_chunk as send_chunk_now
from app.editions.service import open_slot_edition
from app.logs import log_context

log = logging.getLogger(__name__)
_context: SendContext | None = None
_context_lock = threading.Lock()


def send_context(settings: Settings) -> SendContext:
    """This process's send context for ``settings`` (created on first use)."""
    global _context
    with _context_lock:
        if _context is not None and _context.settings is not settings:
            # Other settings (a test pointing jobs elsewhere): a context bound to
            # the old database and mail server must not be reused.
            _context.close()
            _context = None
        if _context is None:
            _context = SendContext(
                settings=settings, session_factory=session_factory_for(settings.database_url)
            )
        return _context


def close_send_context() -> None:
    """Close this process's SMTP connection (the next chunk opens a new one)."""
    global _context
    with _context_lock:
        context, _context = _context, None
    if context is not None:
        context.close()


def forget_send_context() -> None:
    """Drop the context without closing it: a forked child must not use the parent's sockets."""
    global _context
    _context = None


def send_chunk(settings: Settings, edition_id: int, delivery_ids: list[int]) -> dict[str, Any]:
    """Send every still-pending delivery of ``delivery_ids`` (safe to run twice)."""
    with log_context(edition_id=edition_id):
        return _send_chunk(settings, edition_id, delivery_ids)


def _send_chunk(settings: Settings, edition_id: int, delivery_ids: list[int]) -> dict[str, Any]:
    context = send_context(settings)
    before = dict(context.timings)
    report = send_chunk_now(context, edition_id=edition_id, delivery_ids=delivery_ids)
    with context.session_factory() as session:
        context.dead_rows.vacuum_if_bloated(session.get_bind())
    stages = " ".join(
        f"{stage}={context.timings[stage] - before.get(stage, 0.0):.3f}s"
        for stage in context.timings
    )
    log.info(
        "edition %s chunk of %d: sent=%d retried=%d bounced=%d failed=%d skipped=%d %s",
        edition_id,
        len(delivery_ids),
        report["sent"],
        report["retried"],
        report["bounced"],
        report["failed"],
        report["skipped"],
        stages,
    )
    return dict(report)


def recover(settings: Settings) -> int:
    """Reclaim stale deliveries and re-enqueue lost or due ones (periodic)."""
    with transaction(session_factory_for(settings.database_url)) as session:
        report = recover_deliveries(session, settings=settings, enqueue=True)
    if report.reclaimed or report.requeued or report.finished:
        log.info(
            "recovery: reclaimed %d, re-enqueued %d, finished editions %s",
            report.reclaimed,
            report.requeued,
            report.finished,
        )
    return report.requeued


def send_slot(settings: Settings, hour_utc: int | None = None) -> int:
    """The hourly job: today's edition for the subscribers whose local send hour is now.

    No edition is created for an hour in which nobody is due.
    """
    now = datetime.now(UTC)
    hour = now.hour if hour_utc is None else hour_utc
    with transaction(session_factory_for(settings.database_url)) as session:
        edition, chunks = open_slot_edition(
            session, edition_date=now.date(), slot=hourly_slot(hour), settings=settings
        )
    if edition is None:
        log.info("slot %s: nobody is due", hourly_slot(hour))
        return 0
    log.info("edition %s (%s): %d new chunks", edition.id, edition.slot, len(chunks))
    return sum(len(chunk) for chunk in chunks)
