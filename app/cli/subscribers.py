"""``paperboy subscribers import``, ``list`` and ``show``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.database import database_session
from app.wording import plural

if TYPE_CHECKING:
    from app.models import Subscriber


def _record(s: Subscriber) -> dict[str, Any]:
    """The fields ``subscribers list`` prints for one subscriber."""
    return {
        "email": s.email,
        "status": s.status.value,
        "interests": s.interests,
        "topics": list(s.topics),
        "frequency": s.frequency.value,
        "weekly_day": s.weekly_day,
        "send_hour": s.send_hour,
        "timezone": s.timezone,
        "consent_source": s.consent_source,
        "created_at": s.created_at.isoformat(),
        "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
    }


def import_csv(
    csv_file: Annotated[
        Path, typer.Argument(metavar="CSV_FILE", help="CSV with a header row; only email required.")
    ],
) -> None:
    """Import subscribers as active (header email,interests,topics,frequency,send_hour,timezone).

    Each chunk is committed as soon as it is written: an import stopped midway
    keeps what it imported, and running it again skips those rows.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from app.subscriptions.importing import (
        ImportFileError,
        count_rows,
        import_subscribers_csv,
    )

    console = Console(stderr=True)
    columns = (
        TextColumn(f"[bold]{escape(csv_file.name)}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    try:
        expected = count_rows(csv_file)
        with (
            database_session() as session,
            Progress(*columns, console=console, transient=True) as bar,
        ):
            task = bar.add_task("import", total=expected, rate=0.0)
            started = time.monotonic()

            def progress(rows: int) -> None:
                session.commit()
                elapsed = time.monotonic() - started
                total = max(expected, rows)
                bar.update(task, completed=rows, total=total, rate=rows / max(elapsed, 1e-9))

            report = import_subscribers_csv(session, path=csv_file, progress=progress)
    except ImportFileError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise typer.Exit(1) from error
    elapsed = time.monotonic() - started
    for row_error in report.errors:
        typer.echo(f"line {row_error.line}: skipped ({row_error.message})", err=True)
    if report.bad_lines > len(report.errors):
        typer.echo(f"… and {report.bad_lines - len(report.errors)} more bad lines", err=True)
    typer.echo(
        f"Imported {plural(report.imported, 'subscriber')} from {csv_file.name}; "
        f"{report.already_present:,} already present (unchanged), "
        f"{report.suppressed:,} suppressed, {plural(report.duplicates_in_file, 'duplicate row')}, "
        f"{plural(report.bad_lines, 'row')} skipped with errors."
    )
    rate = report.rows_read / max(elapsed, 1e-9)
    console.print(f"{plural(report.rows_read, 'row')} in {elapsed:.1f} s ({rate:,.0f} rows/s)")


def list_all(
    status: Annotated[
        str | None,
        typer.Option(
            metavar="STATUS",
            help="Only this status: pending, active, paused, unsubscribed, bounced, complained.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """List subscribers (everyone unless --status is given)."""
    from app.models.subscriber import SubscriberStatus
    from app.subscriptions.service import list_subscribers

    try:
        wanted = SubscriberStatus(status) if status else None
    except ValueError as error:
        choices = ", ".join(s.value for s in SubscriberStatus)
        typer.echo(f"paperboy: unknown status {status!r} (one of {choices})", err=True)
        raise typer.Exit(2) from error
    with database_session() as session:
        rows = [_record(s) for s in list_subscribers(session, status=wanted)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        fields = (row["email"], row["status"], row["frequency"], ",".join(row["topics"] or []))
        typer.echo("\t".join(str(field) for field in fields))
    typer.echo(f"{len(rows)} subscribers", err=True)


def show(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="The subscriber's address.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """One subscriber: the fields of `subscribers list`, plus liked, disliked and seed papers
    (arXiv ids)."""
    from app.subscriptions.errors import InvalidField
    from app.subscriptions.papers import ReaderPapers, feedback_of
    from app.subscriptions.service import find_subscriber
    from app.subscriptions.validation import normalise_email

    try:
        address = normalise_email(email)
    except InvalidField as error:
        typer.echo(f"paperboy: {error.message}", err=True)
        raise typer.Exit(2) from error
    with database_session() as session:
        subscriber = find_subscriber(session, address)
        if subscriber is None:
            typer.echo(f"paperboy: no subscriber {email!r}", err=True)
            raise typer.Exit(1)
        told = feedback_of(session, [subscriber.id]).get(subscriber.id) or ReaderPapers()
        row = {
            **_record(subscriber),
            "liked": told.liked,
            "disliked": told.disliked,
            "seed_papers": list(subscriber.seed_papers or []),
        }
    if as_json:
        typer.echo(json.dumps(row, ensure_ascii=False))
        return
    for key, value in row.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        typer.echo(f"{key}: {shown if shown not in (None, '') else '-'}")
