"""The Celery app (``celery -A workers.celery_app worker|beat``), configured from Settings.

Workers only exist in distributed mode (``PAPERBOY_BROKER_URL`` set); without a
broker ``app.jobs`` runs the same job functions in-process. Tasks are registered
from the modules in ``TASK_MODULES`` (``workers/<domain>.py``); each is named
``"<domain>.<verb>"`` after the ``app.jobs`` name it runs.

A worker whose ``DATABASE_URL`` can never work (no such database, role or password)
exits at start with one log line, before it takes a task or answers ``celery inspect
ping``; a database that is only away (not up yet, restarting) is waited out by the
tasks, as ever.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import celeryd_after_setup, setup_logging

from app.config import Settings, get_settings
from app.health import wrong_database_settings
from app.logs import configure_logging
from app.schedule import beat_schedule

log = logging.getLogger(__name__)

# One module per domain, each named after it; add yours here.
TASK_MODULES: list[str] = [
    "workers.admin",
    "workers.ingest",
    "workers.subscriptions",
    "workers.sending",
]


def configure(celery: Celery, settings: Settings) -> None:
    """Point ``celery`` at the broker in ``settings`` (or at in-process execution)."""
    celery.conf.update(
        # In-process: the memory transport, named (a bare memory:// makes kombu warn
        # "No hostname was supplied" whenever it describes the connection).
        broker_url=settings.broker_url or "memory://localhost/",
        task_always_eager=settings.embedded_tasks,
        task_eager_propagates=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        timezone="UTC",
        enable_utc=True,
        broker_connection_retry_on_startup=True,
        beat_schedule=beat_schedule(settings),
    )


@setup_logging.connect
def _configure_logging(**_: Any) -> None:
    # Connected, this replaces Celery's own logging setup with Paperboy's format.
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level or "INFO")


@celeryd_after_setup.connect
def _refuse_a_wrong_database(**_: Any) -> None:
    # After logging is set up, before the pool and the broker connection start. Celery
    # logs a receiver's Exception and goes on; a SystemExit stops the worker with its code.
    problem = wrong_database_settings(get_settings().database_url)
    if problem is not None:
        log.critical("worker not started: %s", problem)
        raise SystemExit(os.EX_CONFIG)


app = Celery("paperboy", include=TASK_MODULES)
configure(app, get_settings())
