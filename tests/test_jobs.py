"""In-process jobs on background threads, and waiting for them."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import jobs
from app.config import Settings


def test_waiting_for_background_jobs_joins_a_queued_run_of_calls(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    release = threading.Event()
    ran: list[tuple[Any, ...]] = []

    def slow_chunk(_settings: Settings, *args: Any) -> None:
        release.wait(10)
        ran.append(args)

    monkeypatch.setattr(jobs, "job_function", lambda name: slow_chunk)
    monkeypatch.setattr(jobs, "on_commit", lambda session, action: action())  # committed
    jobs.enqueue_in_turn("editions.send_chunk", [(1,), (2,)], settings=settings, session=Session())

    assert not jobs.wait_for_background(0.2)  # the first call waits on the event
    assert ran == []
    release.set()
    assert jobs.wait_for_background(10)
    assert ran == [(1,), (2,)]  # in turn, in the order queued
