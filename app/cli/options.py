"""What several commands' options share: how a day is written and read."""

from __future__ import annotations

from datetime import date

import typer

DAY = "YYYY-MM-DD"


def parse_day(value: str | date) -> date:
    """A ``--date`` value; the same message for every command that takes one."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2025-11-27 ({DAY})") from None
