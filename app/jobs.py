"""Jobs: enqueue a task by name once the caller's transaction commits.

The only place that knows whether a task goes to Celery workers (a broker is
configured) or runs in this process (embedded mode, no broker). Domains and the
web layer name the job (``"<domain>.<verb>"``) and pass ids; they never import
``workers``. Each name maps to a plain function in ``app`` that takes the
settings first, then the ids: ``workers/`` wraps the same functions as Celery
tasks of the same names, so both modes run the same code.

In-process jobs run right after the commit, in the caller's thread (as Celery's
eager mode would), unless ``background=True`` asks for a thread of their own
(an ingest that waits on arXiv's spacing should not hold an admin's browser).
Those threads are daemons (a stopped process leaves a send to the crash resume);
``wait_for_background`` joins the ones still running.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import on_commit
from app.errors import PaperboyError

log = logging.getLogger(__name__)

# The in-process jobs' background threads still running (see ``wait_for_background``).
_BACKGROUND: weakref.WeakSet[threading.Thread] = weakref.WeakSet()

# Job name -> "module:function"; workers/ registers a Celery task for each name.
JOBS: dict[str, str] = {
    "subscriptions.send_confirmation": "app.subscriptions.jobs:send_confirmation",
    "subscriptions.send_already_subscribed": "app.subscriptions.jobs:send_already_subscribed",
    "subscriptions.withhold_from_suppressed": "app.subscriptions.jobs:withhold_from_suppressed",
    "editions.send_chunk": "app.editions.jobs:send_chunk",
    "editions.recover": "app.editions.jobs:recover",
    "editions.send_slot": "app.editions.jobs:send_slot",
    "ingest.fetch_day": "app.ingest.jobs:fetch_day",
    "ingest.fetch_brought_papers": "app.ingest.jobs:fetch_brought_papers",
    "admin.refresh_dashboard": "app.admin.jobs:refresh_dashboard",
}


def job_function(name: str) -> Callable[..., Any]:
    """The function behind job ``name`` (raises KeyError for an unknown name)."""
    module, _, attribute = JOBS[name].partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return function


def enqueue(
    name: str,
    *args: Any,
    settings: Settings,
    session: Session | None = None,
    background: bool = False,
    wait_for_broker: bool = False,
) -> None:
    """Run job ``name`` with ``args`` (ids, JSON-serialisable) after ``session`` commits.

    Without a session it is dispatched at once. Nothing is enqueued when the
    session's transaction rolls back. ``wait_for_broker`` keeps retrying a broker
    that is away for up to ``DATABASE_OUTAGE_SECONDS`` (``paperboy send`` waits; a
    web request does not).
    """
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}")
    dispatch = partial(_dispatch, name, args, settings, background, wait_for_broker)
    if session is None:
        dispatch()
    else:
        on_commit(session, dispatch)


def enqueue_in_turn(
    name: str, calls: Sequence[tuple[Any, ...]], *, settings: Settings, session: Session
) -> None:
    """Run job ``name`` once per args tuple of ``calls``, after ``session`` commits.

    With a broker each is a task of its own (workers run them side by side); without
    one, a single background thread runs them in turn: a request that queued a whole
    send answers at once, and the send goes at one connection's pace, as it would.
    """
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}")
    if settings.broker_url:
        for args in calls:
            enqueue(name, *args, settings=settings, session=session)
        return

    def run_all() -> None:
        for args in calls:
            _run_in_process(name, args, settings)

    def start() -> None:
        _in_background(run_all, (), name=f"jobs-{name}")

    if calls:
        on_commit(session, start)


def _dispatch(
    name: str, args: tuple[Any, ...], settings: Settings, background: bool, patient: bool
) -> None:
    if settings.broker_url:
        policy = {"interval_start": 0.5, "interval_step": 1.0, "interval_max": 5.0}
        policy["max_retries"] = int(settings.database_outage_seconds / 5) if patient else 3
        producer(settings.broker_url).send_task(
            name, args=list(args), retry=True, retry_policy=policy
        )
    elif background:
        _in_background(_run_in_process, (name, args, settings), name=f"job-{name}")
    else:
        _run_in_process(name, args, settings)


def _in_background(target: Callable[..., None], args: tuple[Any, ...], *, name: str) -> None:
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    _BACKGROUND.add(thread)
    thread.start()


def wait_for_background(timeout: float) -> bool:
    """Join the in-process jobs' background threads (those started before and while it
    waits), for at most ``timeout`` seconds in all; True when none is left running."""
    deadline = time.monotonic() + timeout
    while running := [t for t in list(_BACKGROUND) if t.is_alive()]:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        running[0].join(left)
    return True


def _run_in_process(name: str, args: tuple[Any, ...], settings: Settings) -> None:
    try:
        job_function(name)(settings, *args)
    except PaperboyError as error:
        # Expected failures (an SMTP server refusing, a source down): one line.
        # The work that enqueued the job is committed and stays so.
        log.warning("job %s%s failed: %s", name, args, error)
    except Exception:
        log.exception("job %s%s failed", name, args)


@lru_cache(maxsize=4)
def producer(broker_url: str) -> Celery:
    """A Celery client that only publishes (tasks are registered by the workers)."""
    client = Celery("paperboy-producer", broker=broker_url)
    client.conf.update(
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
    )
    return client
