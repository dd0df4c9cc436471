"""The fixed choices the forms offer: hours, weekdays, timezones."""

from __future__ import annotations

from functools import cache, lru_cache

from markupsafe import Markup

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


@lru_cache(maxsize=64)
def timezone_options(selected: str) -> Markup:
    """The ``<option>`` list of every zone, ``selected`` marked (cached: ~430 options
    would otherwise be rendered by the template on every view of the subscribe page)."""
    return Markup("").join(
        Markup("<option selected>{}</option>").format(zone)
        if zone == selected
        else Markup("<option>{}</option>").format(zone)
        for zone in timezone_choices()
    )
