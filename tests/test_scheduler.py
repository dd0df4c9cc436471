"""The embedded scheduler runs the beat schedule's jobs in-process, each when due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from celery.schedules import crontab

from app.scheduler import EmbeddedScheduler


def test_an_entry_becomes_due_at_its_crontab_time() -> None:
    scheduler = EmbeddedScheduler(
        {"every-minute": {"task": "none", "schedule": crontab(minute="*")}}
    )
    remaining = scheduler.due_in(datetime.now(UTC))["every-minute"]
    assert timedelta(0) <= remaining <= timedelta(minutes=1)


def test_non_crontab_entries_are_ignored() -> None:
    scheduler = EmbeddedScheduler({"odd": {"task": "none", "schedule": 30.0}})
    assert scheduler.due_in(datetime.now(UTC)) == {}


def test_every_beat_entry_names_a_job_both_modes_can_run() -> None:
    from app.jobs import JOBS, job_function
    from workers.celery_app import app

    app.loader.import_default_modules()
    EmbeddedScheduler(app.conf.beat_schedule)
    assert app.conf.beat_schedule, "the beat schedule has no entries"
    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, f"{name}: task {entry['task']} is not registered"
        assert callable(job_function(entry["task"])), f"{name}: no in-process job"
    for job in JOBS:
        assert job in app.tasks, f"job {job} has no Celery task"
