"""Sending tasks: one chunk of deliveries, recovery, and the hourly send slot.

Each worker process keeps one send context (``app.editions.jobs``: one SMTP
connection reused by every chunk), forgotten after the fork and closed when the
process shuts down.
"""

from __future__ import annotations

from typing import Any

from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy.exc import OperationalError

from app.config import get_settings
from app.editions import jobs
from workers.celery_app import app


@worker_process_init.connect
def _forget_parent_context(**_: Any) -> None:
    jobs.forget_send_context()


@worker_process_shutdown.connect
def _close_context(**_: Any) -> None:
    jobs.close_send_context()


# A database away for longer than DATABASE_OUTAGE_SECONDS: try the chunk again later.
@app.task(
    name="editions.send_chunk",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=30,
    max_retries=5,
)
def send_chunk_task(edition_id: int, delivery_ids: list[int]) -> dict[str, int]:
    return jobs.send_chunk(get_settings(), edition_id, delivery_ids)


@app.task(name="editions.recover", ignore_result=True)
def recover_task() -> int:
    return jobs.recover(get_settings())


@app.task(name="editions.send_slot", ignore_result=True)
def send_slot_task(hour_utc: int | None = None) -> int:
    return jobs.send_slot(get_settings(), hour_utc)
