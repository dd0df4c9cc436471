"""Reusing expensive dashboard figures for a short while (table ``dashboard_stat``).

A figure is computed when a page finds it missing or older than its max age,
and ``app.admin.refresh.refresh_dashboard`` (a periodic job) recomputes the overview's figures
every minute, so page views read a stored row instead of counting 100k
subscribers or millions of deliveries. Pages show when a figure was computed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import DashboardStat, Edition, EditionStatus

STATUS_MAX_AGE = 300
GROWTH_MAX_AGE = 600
# Clicks and bounces keep arriving for a few days after a send, then almost never.
RECENT_EDITION_MAX_AGE = 300
OLD_EDITION_MAX_AGE = 3600
RECENT_EDITION_DAYS = 3


def stored_figures(session: Session, keys: list[str]) -> dict[str, DashboardStat]:
    if not keys:
        return {}
    rows = session.scalars(select(DashboardStat).where(DashboardStat.key.in_(keys)))
    return {row.key: row for row in rows}


def store_figure(session: Session, *, key: str, value: Any, now: datetime | None = None) -> None:
    """Insert or replace a figure (a concurrent insert of the same key is fine: it is equal)."""
    now = now or utcnow()
    try:
        with session.begin_nested():
            row = session.get(DashboardStat, key)
            if row is None:
                session.add(DashboardStat(key=key, value=value, computed_at=now))
            else:
                row.value = value
                row.computed_at = now
    except IntegrityError:
        pass


def cached_figure(
    session: Session,
    *,
    key: str,
    max_age_seconds: int,
    compute: Callable[[], Any],
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> tuple[Any, datetime]:
    """The stored figure if younger than ``max_age_seconds`` (and not computed before
    ``not_before``), else a fresh one (stored)."""
    now = now or utcnow()
    row = stored_figures(session, [key]).get(key)
    fresh = row is not None and now - row.computed_at <= timedelta(seconds=max_age_seconds)
    if row is not None and fresh and (not_before is None or row.computed_at >= not_before):
        return row.value, row.computed_at
    value = compute()
    store_figure(session, key=key, value=value, now=now)
    return value, now


def edition_max_age(edition: Edition, today: date) -> int:
    """How long an edition's numbers may be reused (never for one still in flight)."""
    if edition.status in (EditionStatus.SENDING, EditionStatus.PAUSED):
        return 0
    if edition.edition_date >= today - timedelta(days=RECENT_EDITION_DAYS):
        return RECENT_EDITION_MAX_AGE
    return OLD_EDITION_MAX_AGE
