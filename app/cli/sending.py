"""``paperboy send`` and ``paperboy bounces process``."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.database import database_session, session_factory
from app.cli.options import DAY, parse_day
from app.config import Settings, get_settings
from app.logs import bind_log_context, log_context
from app.wording import plural

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
        date, typer.Option("--date", metavar=DAY, parser=parse_day, help="The edition's date.")
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
    # Fits 80 columns: the count and the rate stay whole, the bar gives way first;
    # failures and bounces appear only when there are some (the closing line has all).
    columns = (
        TextColumn("[bold]edition {task.fields[edition]}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
    )
    with (
        log_context(),
        session_factory(settings) as factory,
        Progress(*columns, console=console) as bar,
    ):
        task = bar.add_task("send", total=None, edition="…", detail="")

        def show(progress: EditionProgress) -> None:
            # The edition's id is first known here; records from now on carry it.
            bind_log_context(edition_id=progress.edition_id)
            detail = f"{progress.rate_per_second:,.0f}/s"
            if progress.eta_seconds is not None:
                detail += f" ETA {_duration(progress.eta_seconds)}"
            if progress.failed:
                detail += f" · {progress.failed:,} failed"
            if progress.bounced:
                detail += f" · {progress.bounced:,} bounced"
            bar.update(
                task,
                total=max(progress.recipients, 1),
                completed=progress.done,
                edition=progress.edition_id,
                detail=detail,
            )

        final = run_edition(
            settings, factory, edition_date=edition_date, enqueue=enqueue, on_progress=show
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
        f" of {plural(final.recipients, 'recipient')}."
        + (f" {final.pause_reason}" if final.pause_reason else "")
    )
    if final.status.value == "paused":
        raise typer.Exit(1)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def process_bounces(
    maildir: Annotated[
        Path, typer.Argument(metavar="MAILDIR", help="Maildir that receives bounce messages.")
    ],
) -> None:
    """Read new DSN bounce messages in MAILDIR and suppress hard-bounced addresses."""
    from app.mailer.bounces import process_maildir

    with database_session() as session:
        report = process_maildir(session, maildir)
    typer.echo(
        f"{plural(report.messages, 'message')}: "
        f"{plural(report.hard, 'hard bounce')} suppressed, {plural(report.soft, 'soft bounce')}, "
        f"{report.unrecognised} not bounce reports."
    )
