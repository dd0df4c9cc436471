"""The fixed choices the forms offer: hours, weekdays, timezones."""

from __future__ import annotations

from functools import cache

from app.subscriptions.validation import known_timezones

HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]
WEEKDAYS = list(
    enumerate(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"))
)
_REGIONS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


@cache
def timezone_choices() -> list[str]:
    """Current IANA zone names by region, UTC first (the browser's zone is picked by JS)."""
    return ["UTC", *sorted(name for name in known_timezones() if name.startswith(_REGIONS))]
