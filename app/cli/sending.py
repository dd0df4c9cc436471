"""``paperboy send`` and ``paperboy bounces process``."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.database import database_session, session_factory
from app.config import Settings, get_settings
from app.logs import bind_log_context, log_context

if TYPE_CHECKING:
    from app.editions.service import ChunkEnqueuer

log = logging.getLogger(__name__)


def chunk_enqueuer(settings: Settings) -> ChunkEnqueuer | None:
    """Workers send the chunks when there is a broker; ``None``: this process sends them."""
    if settings.embedded_tasks:
        return None
    from workers.sending import enqueue_chunk

    return enqueue_chunk


def send(
    edition_date: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Edition date (YYYY-MM-DD).")
    ],
) -> None:
    """Build and send edition DATE now to every subscriber due that day; wait until finished."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.editions.service import EditionProgress
    from app.mailer.dispatch import run_edition

    settings = get_settings()
    enqueue = chunk_enqueuer(settings)
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
    with (
        log_context(),
        session_factory(settings) as factory,
        Progress(*columns, console=console) as bar,
    ):
        task = bar.add_task(
            "send", total=None, edition="…", sent=0, failed=0, bounced=0, rate=0.0, eta="-"
        )

        def show(progress: EditionProgress) -> None:
            # The edition's id is first known here; records from now on carry it.
            bind_log_context(edition_id=progress.edition_id)
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
        bind_log_context(edition_id=final.edition_id)
        log.info(
            "edition %s %s: %d sent, %d failed, %d bounced, %d skipped of %d",
            final.edition_id,
            final.status.value,
            final.sent,
            final.failed,
            final.bounced,
            final.skipped,
            final.recipients,
        )
    console.print(
        f"Edition {final.edition_id}: {final.status.value} — {final.sent} sent, "
        f"{final.failed} failed, {final.bounced} bounced, {final.skipped} skipped"
        f" of {final.recipients} recipients."
        + (f" {final.pause_reason}" if final.pause_reason else "")
    )
    if final.status.value == "paused":
        raise typer.Exit(1)


def process_bounces(
    maildir: Annotated[Path, typer.Argument(help="Maildir that receives bounce messages.")],
) -> None:
    """Read new DSN bounce messages in MAILDIR and suppress hard-bounced addresses."""
    from app.mailer.bounces import process_maildir

    with database_session() as session:
        report = process_maildir(session, maildir)
    typer.echo(
        f"{report.messages} messages: {report.hard} hard bounces suppressed, "
        f"{report.soft} soft bounces, {report.unrecognised} not bounce reports."
    )
