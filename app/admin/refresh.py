"""Recompute the dashboard's stored figures now (the ``admin.refresh_dashboard`` job).

Lives apart from ``stats_cache`` (which the figure modules import) so that no
two admin modules import each other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin.editions import edition_rows
from app.admin.overview import growth_figure, status_figure
from app.models import Edition


def refresh_dashboard(session: Session, *, editions: int = 30) -> None:
    """Recompute the overview's figures and the latest editions' numbers now."""
    status_figure(session, max_age_seconds=0)
    growth_figure(session, days=90, max_age_seconds=0)
    latest = session.scalars(
        select(Edition).order_by(Edition.edition_date.desc(), Edition.id.desc()).limit(editions)
    )
    edition_rows(session, list(latest), force=True)
