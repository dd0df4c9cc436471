"""The beat schedule, shared by Celery beat and the embedded in-process scheduler."""

from __future__ import annotations

from celery.schedules import crontab

from app.config import Settings


def beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    """Periodic jobs: task name and crontab, keyed by a stable entry name."""
    schedule: dict[str, dict[str, object]] = {}
    # Papers are featured on weekdays and upvoted through the day: several runs
    # keep the snapshots (the trend) fresh; each run is idempotent.
    for hour in sorted(set(settings.ingest_hours_utc)):
        schedule[f"ingest-weekday-{hour:02d}"] = {
            "task": "ingest.fetch_day",
            "schedule": crontab(minute=5, hour=hour, day_of_week="mon-fri"),
        }
    # And once just before the daily send, so the edition ranks fresh numbers.
    before_send = (settings.send_hour_utc - 1) % 24
    schedule["ingest-before-send"] = {
        "task": "ingest.fetch_day",
        "schedule": crontab(minute=40, hour=before_send),
    }
    # Papers readers brought that arXiv could not give us yet (offline, arXiv away):
    # asked for again until it answers. A run with nothing waiting is one query.
    schedule["fetch-brought-papers"] = {
        "task": "ingest.fetch_brought_papers",
        "schedule": crontab(minute="*/15"),
    }
    # Sending: every hour on the hour, the slot of the subscribers whose local
    # send hour it is (see app/editions/audience.py); recovery every minute.
    schedule["send-digests-hourly"] = {"task": "editions.send_slot", "schedule": crontab(minute=0)}
    schedule["recover-deliveries"] = {"task": "editions.recover", "schedule": crontab()}
    # The admin overview reads stored figures; recount them every minute.
    schedule["admin-refresh-dashboard"] = {
        "task": "admin.refresh_dashboard",
        "schedule": crontab(minute="*"),
    }
    return schedule


__all__ = ["beat_schedule", "crontab"]
