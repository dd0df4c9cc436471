"""Admin tasks: keep the dashboard's stored figures fresh."""

from __future__ import annotations

from app.admin import jobs
from app.config import get_settings
from workers.celery_app import app


@app.task(name="admin.refresh_dashboard", ignore_result=True)
def refresh_dashboard_task() -> None:
    jobs.refresh_dashboard(get_settings())
