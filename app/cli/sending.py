"""``paperboy send`` and ``paperboy bounces process``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.database import database_session, session_factory
from app.cli.options import DAY, parse_day
from app.config import get_settings
from app.logs import bind_log_context, log_context
from app.wording import plural

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from app.editions.progress import EditionProgress

log = logging.getLogger(__name__)


def retry_watcher(
    factory: sessionmaker[Session], say: Callable[[str], None]
) -> Callable[[EditionProgress], None]:
    """A progress callback that says, once per wait, why a send stands still: digests the
    mail server refused, waiting for their next try (a send waits for them)."""
    from app.db import transaction
    from app.editions.progress import waiting_to_retry

    told: set[str] = set()

    def watch(progress: EditionProgress) -> None:
        counts = progress.counts
        if counts.sending or not counts.pending:
            return
        with transaction(factory) as session:
            wait = waiting_to_retry(session, edition_id=progress.edition_id)
        if not wait.deliveries:
            return
        reason = (wait.last_error or "no reason recorded").strip().splitlines()[0][:200]
        when = f"{wait.next_attempt_at:%H:%M} UTC" if wait.next_attempt_at else "soon"
        line = (
            f"{plural(wait.deliveries, 'digest')} not sent yet: {reason}. Next try at {when}; "
            "waiting for it (Ctrl-C stops waiting: `paperboy run` or the workers still send "
            "them then)."
        )
        if line not in told:  # once per wait, not at every tick
            told.add(line)
            say(line)

    return watch


def rate_text(rate_per_second: float | None) -> str:
    """The bar's rate: per second while fast, per minute below one a second, and
    nothing while no digest is going out (a rerun of a finished edition, a wait)."""
    rate = rate_per_second or 0.0
    if rate >= 1:
        return f"{rate:,.0f}/s"
    return f"{max(1, round(rate * 60))}/min" if rate > 0 else ""


def send(
    edition_date: Annotated[
        date, typer.Option("--date", metavar=DAY, parser=parse_day, help="The edition's date.")
    ],
) -> None:
    """Build and send edition DATE now to every subscriber due that day; wait until finished."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.db import transaction
    from app.editions.progress import duration_text, failed_deliveries
    from app.editions.running import send_edition

    settings = get_settings()
    console = Console(stderr=True)
    # A database outage is waited out (DATABASE_OUTAGE_SECONDS): say so, not only at the end.
    logging.getLogger("app.db").setLevel(logging.WARNING)
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
        watch = retry_watcher(factory, lambda line: console.print(line, markup=False))

        def show(progress: EditionProgress) -> None:
            watch(progress)
            # The edition's id is first known here; records from now on carry it.
            bind_log_context(edition_id=progress.edition_id)
            counts = progress.counts
            detail = rate_text(progress.rate_per_second)
            if progress.eta_seconds is not None:
                detail += f" ETA {duration_text(progress.eta_seconds)}"
            if counts.failed:
                detail += f" · {counts.failed:,} failed"
            if counts.bounced:
                detail += f" · {counts.bounced:,} bounced"
            bar.update(
                task,
                total=max(counts.recipients, 1),
                completed=counts.done,
                edition=progress.edition_id,
                detail=detail,
            )

        final = send_edition(settings, factory, edition_date=edition_date, on_progress=show)
        counts = final.counts
        bind_log_context(edition_id=final.edition_id)
        log.info(
            "edition %s %s: %d sent, %d failed, %d bounced, %d skipped of %d",
            final.edition_id,
            final.status.value,
            counts.sent,
            counts.failed,
            counts.bounced,
            counts.skipped,
            counts.recipients,
        )
        with transaction(factory) as session:
            failures = failed_deliveries(session, edition_id=final.edition_id, limit=20)
    if not final.edition.paper_ids:
        # Not "finished — 0 sent of 0 recipients. no papers…": what is missing, and the fix.
        day = edition_date.isoformat()
        console.print(
            f"Edition {final.edition_id} of {day}: nothing to send, no digest went out. "
            f"No papers featured on {day} are stored (nor recent ones not yet sent): "
            f"`paperboy ingest --date {day}` fetches them (a weekday that has papers).",
            markup=False,
            highlight=False,
        )
        return
    console.print(
        f"Edition {final.edition_id}: {final.status.value} — {counts.sent} sent, "
        f"{counts.failed} failed, {counts.bounced} bounced, {counts.skipped} skipped"
        f" of {plural(counts.recipients, 'recipient')}."
        + (f" {final.pause_reason}" if final.pause_reason else "")
    )
    # Nothing fails silently: each failed or bounced delivery with its reason (the first 20).
    total = counts.failed + counts.bounced
    if failures:
        console.print(f"Not delivered ({total}):", markup=False, highlight=False)
        for email, status, reason in failures:
            line = f"  {email} — {status.value}: {reason or 'no reason recorded'}"
            console.print(line, markup=False, highlight=False)
        if total > len(failures):
            more = f"  … and {total - len(failures)} more: /admin/editions/{final.edition_id}"
            console.print(more, markup=False, highlight=False)
    if final.status.value == "paused":
        raise typer.Exit(1)


def process_bounces(
    maildir: Annotated[
        Path, typer.Argument(metavar="MAILDIR", help="Maildir that receives bounce messages.")
    ],
) -> None:
    """Read new DSN bounce messages in MAILDIR and suppress hard-bounced addresses."""
    from app.feedback.bounces import process_maildir

    if not maildir.is_dir():
        typer.echo(f"paperboy: {maildir} is not a directory (give the bounce Maildir)", err=True)
        raise typer.Exit(1)
    if not all((maildir / folder).is_dir() for folder in ("new", "cur")):
        typer.echo(
            f"paperboy: {maildir} is not a Maildir (it has no new/ and cur/ folders)", err=True
        )
        raise typer.Exit(1)
    with database_session() as session:
        report = process_maildir(session, maildir)
    typer.echo(
        f"{plural(report.messages, 'message')}: "
        f"{plural(report.hard, 'hard bounce')} suppressed, {plural(report.soft, 'soft bounce')}, "
        f"{report.unrecognised} not bounce reports."
    )
