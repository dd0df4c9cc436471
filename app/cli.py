"""The ``paperboy`` command: run the product, migrate, and operate it from a shell."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from app.config import ConfigurationError, get_settings

cli = typer.Typer(
    name="paperboy",
    help="Personalised daily digests of trending machine-learning papers.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
admin_cli = typer.Typer(help="Admin dashboard accounts.", no_args_is_help=True)
cli.add_typer(admin_cli, name="admin")


@cli.command()
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
        from workers.celery_app import app as celery_app
        from workers.embedded import EmbeddedScheduler

        scheduler = EmbeddedScheduler(celery_app.conf.beat_schedule)
        scheduler.start()
    mode = "embedded (in-process tasks)" if settings.embedded_tasks else "distributed (Celery)"
    typer.echo(
        f"Paperboy on http://{host}:{port} — {mode}; database {_safe_url(settings.database_url)}"
    )
    if settings.outbox_dir:
        typer.echo(f"Outgoing mail is written to {settings.outbox_dir}")
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    finally:
        if scheduler:
            scheduler.stop()


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    from app.migrations import upgrade_database

    settings = get_settings()
    upgrade_database(settings.database_url)
    typer.echo(f"Database at {_safe_url(settings.database_url)} is up to date.")


@admin_cli.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Argument(help="The admin's email address (the sign-in name).")],
) -> None:
    """Create an admin account; the password is asked twice (or read as two stdin lines)."""
    import sys

    from app.admin.auth import AdminAuthError, create_admin_user
    from app.db import make_engine, make_session_factory, transaction

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 2 or lines[0] != lines[1]:
            typer.echo("paperboy: give the password twice, on two lines of stdin.", err=True)
            raise typer.Exit(1)
        password = lines[0]
    settings = get_settings()
    try:
        with transaction(make_session_factory(make_engine(settings.database_url))) as session:
            create_admin_user(session, email=email, password=password)
    except AdminAuthError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise typer.Exit(1) from error
    address = email.strip().lower()
    typer.echo(f"Admin account {address} created; sign in at {settings.base_url}/admin")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """Console-script entry point; turns configuration errors into one clear line."""
    try:
        cli()
    except ConfigurationError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise SystemExit(2) from error
