"""The embedded scheduler: runs the beat schedule's jobs in-process for ``paperboy run``.

One daemon thread in the serving process; it is started by the CLI (not by the
web app), so a reloading or multi-worker web server never starts a second one.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.schedules import crontab

from app import jobs
from app.config import get_settings

log = logging.getLogger(__name__)


class EmbeddedScheduler(threading.Thread):
    """Sleeps until the next crontab entry is due, then runs its job in this process."""

    def __init__(self, schedule: dict[str, dict[str, Any]]) -> None:
        super().__init__(name="paperboy-scheduler", daemon=True)
        self._schedule = {
            name: entry
            for name, entry in schedule.items()
            if isinstance(entry["schedule"], crontab)
        }
        self._stopping = threading.Event()
        now = datetime.now(UTC)
        self._last_run: dict[str, datetime] = {name: now for name in self._schedule}

    def stop(self) -> None:
        self._stopping.set()

    def due_in(self, now: datetime) -> dict[str, timedelta]:
        """How long until each entry is next due (zero or negative: due now)."""
        remaining: dict[str, timedelta] = {}
        for name, entry in self._schedule.items():
            schedule: crontab = entry["schedule"]
            remaining[name] = schedule.remaining_estimate(self._last_run[name])
        return remaining

    def run(self) -> None:
        while not self._stopping.is_set():
            now = datetime.now(UTC)
            remaining = self.due_in(now)
            for name, delta in remaining.items():
                if delta <= timedelta(0):
                    self._run_entry(name, now)
            wait = min((d.total_seconds() for d in remaining.values()), default=60.0)
            self._stopping.wait(timeout=min(max(wait, 1.0), 60.0))

    def _run_entry(self, name: str, now: datetime) -> None:
        entry = self._schedule[name]
        self._last_run[name] = now
        log.info("scheduler: running %s", name)
        # Without a broker, app.jobs runs the job here and logs its failure.
        jobs.enqueue(str(entry["task"]), *entry.get("args", ()), settings=get_settings())
