"""Recompute the dashboard's stored figures now (the ``admin.refresh_dashboard`` job).

Lives apart from ``stats_cache`` (which the figure modules import) so that no
two admin modules import each other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.admin.editions import edition_rows
from app.admin.overview import growth_figure, status_figure
from app.admin.papers import paper_reach_figure
from app.models import Edition, EditionStatus


def refresh_dashboard(session: Session, *, editions: int = 30) -> None:
    """Recompute the overview's figures, the latest editions' numbers and, for the
    editions in flight, each paper's reach, now."""
    status_figure(session, max_age_seconds=0)
    growth_figure(session, days=90, max_age_seconds=0)
    latest = session.scalars(
        select(Edition).order_by(Edition.edition_date.desc(), Edition.id.desc()).limit(editions)
    )
    editions_shown = list(latest)
    edition_rows(session, editions_shown, force=True)
    # Pages reuse a stored reach for minutes; here it is kept a minute fresh.
    for edition in editions_shown:
        if edition.status in (EditionStatus.SENDING, EditionStatus.PAUSED):
            paper_reach_figure(session, edition=edition, max_age_seconds=0)
