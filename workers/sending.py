"""Sending tasks: one chunk of deliveries, recovery, and the hourly send slot.

Each worker process keeps one ``SendContext`` (one SMTP connection, reused by
every task it runs, edition caches), created lazily after the fork and closed
when the process shuts down.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy import Engine

from app.config import get_settings
from app.db import make_engine, make_session_factory, transaction
from app.editions.audience import hourly_slot
from app.editions.recovery import recover_deliveries
from app.editions.service import send_edition
from app.logs import log_context
from app.mailer.send import SendContext, send_chunk
from workers.celery_app import app

log = logging.getLogger(__name__)
_context: SendContext | None = None


def send_context() -> SendContext:
    """This process's send context (created on first use)."""
    global _context
    settings = get_settings()
    if _context is not None and _context.settings is not settings:
        # The process settings were reloaded (a test pointing tasks elsewhere):
        # a context bound to the old database and mail server must not be reused.
        close_send_context()
    if _context is None:
        engine = (
            make_engine(settings.database_url, pool_size=2, max_overflow=2)
            if not (settings.is_sqlite)
            else make_engine(settings.database_url)
        )
        _context = SendContext(settings=settings, session_factory=make_session_factory(engine))
    return _context


def close_send_context() -> None:
    """Close this process's SMTP connection and database pool (the next task opens new ones)."""
    global _context
    context, _context = _context, None
    if context is not None:
        context.close()
        bind = context.session_factory.kw.get("bind")
        if isinstance(bind, Engine):
            bind.dispose()


@worker_process_init.connect
def _forget_parent_context(**_: Any) -> None:
    # A forked child must not share the parent's sockets (database, SMTP).
    global _context
    _context = None


@worker_process_shutdown.connect
def _close_context(**_: Any) -> None:
    close_send_context()


def enqueue_chunk(edition_id: int, delivery_ids: list[int]) -> None:
    """Queue one chunk (runs in-process at once when there is no broker)."""
    send_chunk_task.delay(edition_id, delivery_ids)


@app.task(name="editions.send_chunk", acks_late=True, ignore_result=True)
def send_chunk_task(edition_id: int, delivery_ids: list[int]) -> dict[str, int]:
    with log_context(edition_id=edition_id):
        return _send_chunk(edition_id, delivery_ids)


def _send_chunk(edition_id: int, delivery_ids: list[int]) -> dict[str, int]:
    context = send_context()
    before = dict(context.timings)
    report = send_chunk(context, edition_id=edition_id, delivery_ids=delivery_ids)
    stages = " ".join(
        f"{stage}={context.timings[stage] - before.get(stage, 0.0):.3f}s"
        for stage in context.timings
    )
    log.info(
        "edition %s chunk of %d: sent=%d retried=%d bounced=%d failed=%d skipped=%d %s",
        edition_id,
        len(delivery_ids),
        report.sent,
        report.retried,
        report.bounced,
        report.failed,
        report.skipped,
        stages,
    )
    return vars(report)


@app.task(name="editions.recover", ignore_result=True)
def recover_task() -> int:
    """Reclaim stale deliveries and re-enqueue lost or due ones (periodic)."""
    context = send_context()
    with transaction(context.session_factory) as session:
        report = recover_deliveries(session, settings=context.settings, enqueue=enqueue_chunk)
    if report.reclaimed or report.requeued or report.finished:
        log.info(
            "recovery: reclaimed %d, re-enqueued %d, finished editions %s",
            report.reclaimed,
            report.requeued,
            report.finished,
        )
    return report.requeued


@app.task(name="editions.send_slot", ignore_result=True)
def send_slot_task(hour_utc: int | None = None) -> int:
    """The hourly job: today's edition for the subscribers whose local send hour is now."""
    now = datetime.now(UTC)
    hour = now.hour if hour_utc is None else hour_utc
    context = send_context()
    with transaction(context.session_factory) as session:
        edition, chunks = send_edition(
            session,
            edition_date=now.date(),
            slot=hourly_slot(hour),
            settings=context.settings,
            enqueue=enqueue_chunk,
        )
    log.info("edition %s (%s): %d new chunks", edition.id, edition.slot, len(chunks))
    return sum(len(chunk) for chunk in chunks)
