"""Admin tasks: keep the dashboard's stored figures fresh."""

from __future__ import annotations

from app.admin.stats_cache import refresh_dashboard
from app.config import get_settings
from app.db import make_engine, make_session_factory, transaction
from workers.celery_app import app


@app.task(name="admin.refresh_dashboard", ignore_result=True)
def refresh_dashboard_task() -> None:
    """Recount subscribers by status, growth and the latest editions (idempotent)."""
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            refresh_dashboard(session)
    finally:
        engine.dispose()
