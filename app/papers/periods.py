"""The periods the site lists: a day, an ISO week or a month, parsed from their URLs."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

PeriodKind = Literal["day", "week", "month"]

_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
# Daily Papers started in 2023; nothing before this or far ahead is a page.
FIRST_YEAR = 2020
LAST_YEAR = 2100


class UnknownPeriod(ValueError):
    """The URL names no valid day, week or month."""


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    @property
    def slug(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def path(self) -> str:
        segment = {"day": "date", "week": "week", "month": "month"}[self.kind]
        return f"/papers/{segment}/{self.slug}"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.start:%A} {self.start.day} {self.start:%B %Y}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return (
                f"Week {week}, {year} ({self.start.day} {self.start:%b} to "
                f"{self.end.day} {self.end:%b})"
            )
        return f"{self.start:%B %Y}"

    def previous(self) -> Period:
        return period_of(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return period_of(self.kind, self.end + timedelta(days=1))

    def week(self) -> Period:
        return period_of("week", self.start)

    def month(self) -> Period:
        return period_of("month", self.start)


def period_of(kind: PeriodKind, day: date) -> Period:
    """The day, ISO week (Monday to Sunday) or month that contains ``day``."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    last = calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def _year(value: str) -> int:
    year = int(value)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UnknownPeriod(value)
    return year


def parse_day(text: str) -> Period:
    """``YYYY-MM-DD``; raises ``UnknownPeriod``."""
    match = _DAY.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return period_of("day", date(_year(match[1]), int(match[2]), int(match[3])))
    except ValueError as error:
        raise UnknownPeriod(text) from error


def parse_week(text: str) -> Period:
    """``YYYY-Www`` (ISO week); raises ``UnknownPeriod``."""
    match = _WEEK.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return period_of("week", date.fromisocalendar(_year(match[1]), int(match[2]), 1))
    except ValueError as error:
        raise UnknownPeriod(text) from error


def parse_month(text: str) -> Period:
    """``YYYY-MM``; raises ``UnknownPeriod``."""
    match = _MONTH.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        return period_of("month", date(_year(match[1]), int(match[2]), 1))
    except ValueError as error:
        raise UnknownPeriod(text) from error
