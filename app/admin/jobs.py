"""The admin's job (``app.jobs`` name ``admin.refresh_dashboard``)."""

from __future__ import annotations

from app.admin.refresh import refresh_dashboard as refresh
from app.config import Settings
from app.db import session_factory_for, transaction


def refresh_dashboard(settings: Settings) -> None:
    """Recount subscribers by status, growth and the latest editions (idempotent)."""
    with transaction(session_factory_for(settings.database_url)) as session:
        refresh(session)
