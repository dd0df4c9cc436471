"""``paperboy run`` and ``paperboy db upgrade``."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer

from app.cli.database import safe_url
from app.config import Settings, get_settings


def run(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the whole product on one machine: web app, and in embedded mode tasks and schedule."""
    import uvicorn

    from app.migrations import upgrade_database
    from app.web.app import create_app

    settings = get_settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    upgrade_database(settings.database_url)
    scheduler = None
    if settings.embedded_tasks:
        from app.schedule import beat_schedule
        from app.scheduler import EmbeddedScheduler

        # Started here, not by the web app, so there is exactly one per `run`.
        scheduler = EmbeddedScheduler(beat_schedule(settings))
        scheduler.start()
    mode = "embedded (in-process tasks)" if settings.embedded_tasks else "distributed (Celery)"
    typer.echo(
        f"Paperboy on http://{host}:{port} — {mode}; database {safe_url(settings.database_url)}"
    )
    if settings.outbox_dir:
        typer.echo(f"Outgoing mail is written to {settings.outbox_dir}")
    try:
        uvicorn.run(
            create_app(settings), host=host, port=port, log_level="info", **proxy_options(settings)
        )
    finally:
        if scheduler:
            scheduler.stop()


def db_upgrade() -> None:
    """Apply the database migrations."""
    from app.migrations import upgrade_database

    settings = get_settings()
    upgrade_database(settings.database_url)
    typer.echo(f"Database at {safe_url(settings.database_url)} is up to date.")


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for a reverse proxy: only ``FORWARDED_ALLOW_IPS`` are believed."""
    return {"proxy_headers": True, "forwarded_allow_ips": settings.forwarded_allow_ips}
