"""Days, ISO weeks and months as the site's URLs name them."""

from __future__ import annotations

from datetime import date

import pytest

from app.papers.periods import UnknownPeriod, parse_day, parse_month, parse_week, period_of


def test_a_week_runs_monday_to_sunday_and_crosses_years_the_iso_way() -> None:
    week = parse_week("2026-W01")
    assert (week.start, week.end) == (date(2025, 12, 29), date(2026, 1, 4))
    assert week.slug == "2026-W01" and week.path == "/papers/week/2026-W01"
    assert week.previous().slug == "2025-W52" and week.next().slug == "2026-W02"


def test_a_month_knows_its_length_and_neighbours() -> None:
    february = parse_month("2024-02")
    assert february.end == date(2024, 2, 29)
    assert february.previous().path == "/papers/month/2024-01"
    assert february.next().label == "March 2024"


def test_a_day_has_its_week_and_month() -> None:
    day = parse_day("2025-11-27")
    assert day.label == "Thursday 27 November 2025"
    assert day.week() == period_of("week", date(2025, 11, 24))
    assert day.month().slug == "2025-11"


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_day, "2025-02-29"),
        (parse_day, "2025-11-7"),
        (parse_day, "27-11-2025"),
        (parse_day, "1900-01-01"),
        (parse_week, "2025-W00"),
        (parse_week, "2025-W53"),  # 2025 has 52 ISO weeks
        (parse_week, "2025W48"),
        (parse_month, "2025-00"),
        (parse_month, "2025-1"),
        (parse_month, "\u0662\u0660\u0662\u0665-\u0661\u0661"),  # Arabic-Indic digits
    ],
)
def test_anything_else_is_an_unknown_period(parse: object, text: str) -> None:
    with pytest.raises(UnknownPeriod):
        parse(text)  # type: ignore[operator]
