"""The ``paperboy`` command: run the product, migrate, and operate it from a shell."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
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
bounces_cli = typer.Typer(help="Bounce messages (DSNs).", no_args_is_help=True)
cli.add_typer(bounces_cli, name="bounces")


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


@cli.command()
def send(
    edition_date: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Edition date (YYYY-MM-DD).")
    ],
) -> None:
    """Build and send edition DATE now to every subscriber due that day; wait until finished."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.db import make_engine, make_session_factory
    from app.editions.service import EditionProgress
    from app.mailer.dispatch import run_edition
    from app.migrations import upgrade_database

    settings = get_settings()
    upgrade_database(settings.database_url)
    factory = make_session_factory(make_engine(settings.database_url))
    enqueue = None
    if not settings.embedded_tasks:
        from workers.sending import enqueue_chunk

        enqueue = enqueue_chunk
    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]edition {task.fields[edition]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "sent {task.fields[sent]} · failed {task.fields[failed]} · "
            "bounced {task.fields[bounced]} · {task.fields[rate]:.0f}/s · ETA {task.fields[eta]}"
        ),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(
            "send", total=None, edition="…", sent=0, failed=0, bounced=0, rate=0.0, eta="-"
        )

        def show(progress: EditionProgress) -> None:
            eta = f"{progress.eta_seconds:.0f}s" if progress.eta_seconds is not None else "-"
            bar.update(
                task,
                total=max(progress.recipients, 1),
                completed=progress.done,
                edition=f"{progress.edition_id} ({edition_date:%Y-%m-%d})",
                sent=progress.sent,
                failed=progress.failed,
                bounced=progress.bounced,
                rate=progress.rate_per_second,
                eta=eta,
            )

        final = run_edition(
            settings, factory, edition_date=edition_date.date(), enqueue=enqueue, on_progress=show
        )
    console.print(
        f"Edition {final.edition_id}: {final.status.value} — {final.sent} sent, "
        f"{final.failed} failed, {final.bounced} bounced, {final.skipped} skipped"
        f" of {final.recipients} recipients."
        + (f" {final.pause_reason}" if final.pause_reason else "")
    )
    if final.status.value == "paused":
        raise typer.Exit(1)


@bounces_cli.command("process")
def bounces_process(
    maildir: Annotated[Path, typer.Argument(help="Maildir that receives bounce messages.")],
) -> None:
    """Read new DSN bounce messages in MAILDIR and suppress hard-bounced addresses."""
    from app.db import make_engine, make_session_factory, transaction
    from app.mailer.bounces import process_maildir

    settings = get_settings()
    factory = make_session_factory(make_engine(settings.database_url))
    with transaction(factory) as session:
        report = process_maildir(session, maildir)
    typer.echo(
        f"{report.messages} messages: {report.hard} hard bounces suppressed, "
        f"{report.soft} soft bounces, {report.unrecognised} not bounce reports."
    )


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
