"""``paperboy send`` and ``paperboy bounces process``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from app.cli.database import database_session, session_factory
from app.config import get_settings


def send(
    edition_date: Annotated[
        datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Edition date (YYYY-MM-DD).")
    ],
) -> None:
    """Build and send edition DATE now to every subscriber due that day; wait until finished."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.editions.progress import EditionProgress, duration_text
    from app.editions.running import send_edition

    settings = get_settings()
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
    with session_factory(settings) as factory, Progress(*columns, console=console) as bar:
        task = bar.add_task(
            "send", total=None, edition="…", sent=0, failed=0, bounced=0, rate=0.0, eta="-"
        )

        def show(progress: EditionProgress) -> None:
            counts = progress.counts
            bar.update(
                task,
                total=max(counts.recipients, 1),
                completed=counts.done,
                edition=f"{progress.edition_id} ({edition_date:%Y-%m-%d})",
                sent=counts.sent,
                failed=counts.failed,
                bounced=counts.bounced,
                rate=progress.rate_per_second or 0.0,
                eta=duration_text(progress.eta_seconds),
            )

        final = send_edition(settings, factory, edition_date=edition_date.date(), on_progress=show)
    counts = final.counts
    console.print(
        f"Edition {final.edition_id}: {final.status.value} — {counts.sent} sent, "
        f"{counts.failed} failed, {counts.bounced} bounced, {counts.skipped} skipped"
        f" of {counts.recipients} recipients."
        + (f" {final.pause_reason}" if final.pause_reason else "")
    )
    if final.status.value == "paused":
        raise typer.Exit(1)


def process_bounces(
    maildir: Annotated[Path, typer.Argument(help="Maildir that receives bounce messages.")],
) -> None:
    """Read new DSN bounce messages in MAILDIR and suppress hard-bounced addresses."""
    from app.feedback.bounces import process_maildir

    if not maildir.is_dir():
        typer.echo(f"paperboy: {maildir} is not a directory (give the bounce Maildir)", err=True)
        raise typer.Exit(1)
    with database_session() as session:
        report = process_maildir(session, maildir)
    typer.echo(
        f"{report.messages} messages: {report.hard} hard bounces suppressed, "
        f"{report.soft} soft bounces, {report.unrecognised} not bounce reports."
    )
