"""``paperboy run`` and ``paperboy db upgrade``."""

from __future__ import annotations

import os
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from app.cli.database import safe_url
from app.config import Settings, get_settings
from app.logs import configure_logging


def run(
    host: Annotated[
        str, typer.Option(metavar="HOST", help="Interface to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            metavar="IPS",
            help="Proxies trusted to set X-Forwarded-For (comma-separated addresses, or *); "
            "default PAPERBOY_FORWARDED_ALLOW_IPS (127.0.0.1). Behind a proxy on another "
            "host, its address, so each visitor keeps their own subscribe limit.",
        ),
    ] = None,
) -> None:
    """Run the whole product on one machine: web app, and in embedded mode tasks and schedule."""
    import uvicorn

    from app.migrations import upgrade_database
    from app.web.app import create_app

    settings = follow_port(port)
    configure_logging(settings.log_format, settings.log_level or "INFO")
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
    for warning in production_warnings(settings):
        typer.echo(f"paperboy: warning: {warning}", err=True)
    try:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_config=None,  # configure_logging's format, not uvicorn's
            **proxy_options(settings, forwarded_allow_ips),
        )
    finally:
        if scheduler:
            scheduler.stop()


def follow_port(port: int) -> Settings:
    """The process settings, their mail links on the port served when ``BASE_URL`` is unset.

    ``make run PORT=8080`` must not mail confirmation links to port 8000. Set in the
    environment, so whatever in this process reads the settings (the web app, the
    in-process tasks and schedule) links the same address.
    """
    if "PAPERBOY_BASE_URL" not in os.environ:
        os.environ["PAPERBOY_BASE_URL"] = f"http://localhost:{port}"
        get_settings.cache_clear()
    return get_settings()


def production_warnings(settings: Settings) -> list[str]:
    """What a production install left at a one-machine default (said at start, not refused:
    docker-compose's local tour runs in production mode on these very defaults)."""
    if settings.environment != "production":
        return []
    warnings = []
    host = urlsplit(settings.base_url).hostname or ""
    if host in ("localhost", "127.0.0.1") or host.endswith(".localhost"):
        warnings.append(
            f"PAPERBOY_BASE_URL is {settings.base_url}: every link in every mail points there"
        )
    if settings.mail_domain.endswith("localhost"):
        warnings.append(
            f"PAPERBOY_FROM_ADDRESS is {settings.from_address}: receiving servers refuse mail "
            "from a .localhost sender"
        )
    return warnings


def db_upgrade() -> None:
    """Apply the database migrations."""
    from app.migrations import upgrade_database

    settings = get_settings()
    upgrade_database(settings.database_url)
    typer.echo(f"Database at {safe_url(settings.database_url)} is up to date.")


def proxy_options(settings: Settings, override: str | None = None) -> dict[str, Any]:
    """uvicorn's options for a reverse proxy: only ``FORWARDED_ALLOW_IPS`` are believed."""
    return {
        "proxy_headers": True,
        "forwarded_allow_ips": override or settings.forwarded_allow_ips,
    }
