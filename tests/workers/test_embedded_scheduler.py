"""The embedded scheduler runs the beat schedule's jobs in-process, each when due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery.schedules import crontab

from workers.embedded import EmbeddedScheduler


def test_an_entry_becomes_due_at_its_crontab_time() -> None:
    scheduler = EmbeddedScheduler(
        {"every-minute": {"task": "none", "schedule": crontab(minute="*")}}
    )
    remaining = scheduler.due_in(datetime.now(UTC))["every-minute"]
    assert timedelta(0) <= remaining <= timedelta(minutes=1)


def test_non_crontab_entries_are_ignored() -> None:
    scheduler = EmbeddedScheduler({"odd": {"task": "none", "schedule": 30.0}})
    assert scheduler.due_in(datetime.now(UTC)) == {}
