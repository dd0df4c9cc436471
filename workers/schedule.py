"""The beat schedule, shared by Celery beat and the embedded in-process scheduler."""

from __future__ import annotations

from celery.schedules import crontab

from app.config import Settings


def beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    """Periodic jobs: task name and crontab, keyed by a stable entry name."""
    schedule: dict[str, dict[str, object]] = {}
    # Sending: every hour on the hour, the slot of the subscribers whose local
    # send hour it is (see app/editions/audience.py); recovery every minute.
    schedule["send-digests-hourly"] = {"task": "editions.send_slot", "schedule": crontab(minute=0)}
    schedule["recover-deliveries"] = {"task": "editions.recover", "schedule": crontab()}
    return schedule


__all__ = ["beat_schedule", "crontab"]
