"""The ``paperboy`` command: run the product, migrate, and operate it from a shell."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.orm import Session

from app.config import ConfigurationError, Settings, get_settings

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from app.ingest.service import IngestSummary

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
subscribers_cli = typer.Typer(help="Subscribers: import and list.", no_args_is_help=True)
cli.add_typer(subscribers_cli, name="subscribers")
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


@subscribers_cli.command("import")
def subscribers_import(
    csv_file: Annotated[Path, typer.Argument(help="CSV with a header row; only email required.")],
) -> None:
    """Import subscribers as active (header email,interests,topics,frequency,send_hour,timezone)."""
    from app.subscriptions.importing import ImportFileError, import_subscribers_csv

    def progress(rows: int) -> None:
        typer.echo(f"  {rows} rows read…", err=True)

    try:
        with _database_session() as session:
            report = import_subscribers_csv(session, path=csv_file, progress=progress)
    except ImportFileError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise typer.Exit(1) from error
    for row_error in report.errors:
        typer.echo(f"line {row_error.line}: skipped ({row_error.message})", err=True)
    typer.echo(
        f"Imported {report.imported} subscribers from {csv_file.name}; "
        f"{report.already_present} already present (unchanged), "
        f"{report.suppressed} suppressed, {report.duplicates_in_file} duplicate rows, "
        f"{len(report.errors)} rows skipped with errors."
    )


@subscribers_cli.command("list")
def subscribers_list(
    status: Annotated[
        str | None,
        typer.Option(
            help="Only this status: pending, active, paused, unsubscribed, bounced, complained."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """List subscribers (everyone unless --status is given)."""
    import json

    from app.models.subscriber import SubscriberStatus
    from app.subscriptions.service import list_subscribers

    try:
        wanted = SubscriberStatus(status) if status else None
    except ValueError as error:
        choices = ", ".join(s.value for s in SubscriberStatus)
        typer.echo(f"paperboy: unknown status {status!r} (one of {choices})", err=True)
        raise typer.Exit(2) from error
    with _database_session() as session:
        rows: list[dict[str, Any]] = [
            {
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
            for s in list_subscribers(session, status=wanted)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        fields = (row["email"], row["status"], row["frequency"], ",".join(row["topics"] or []))
        typer.echo("\t".join(str(field) for field in fields))
    typer.echo(f"{len(rows)} subscribers", err=True)


@contextmanager
def _database_session() -> Iterator[Session]:
    """A session on the configured database, committed on success; the pool is closed after."""
    from app.db import make_engine, make_session_factory, transaction

    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


@cli.command()
def ingest(
    day: Annotated[
        str | None, typer.Option("--date", help="Fetch the papers featured on this day, live.")
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option("--file", help="Load saved Daily Papers API responses (JSON arrays)."),
    ] = None,
    more_files: Annotated[
        list[Path] | None, typer.Argument(help="More files, after --file F.", show_default=False)
    ] = None,
    no_enrich: Annotated[
        bool, typer.Option("--no-enrich", help="Do not look the papers up on arXiv.")
    ] = False,
) -> None:
    """Fetch a day's papers (--date D) or load saved responses (--file F [F...]), and store them."""
    from app.ingest.clients import ingest_clients
    from app.ingest.errors import IngestError
    from app.ingest.service import ingest_date, ingest_files

    paths = [*(files or []), *(more_files or [])]
    if (day is None) == (not paths) or (more_files and not files):
        raise typer.BadParameter("give either --date YYYY-MM-DD or --file F [F...]")
    target = _parse_date(day) if day is not None else None
    settings = get_settings()
    factory, engine = _session_factory(settings)
    try:
        with _progress() as bar, ingest_clients(settings) as clients:
            enricher = None if no_enrich else clients.enricher
            with _transaction(factory) as session:
                if target is not None:
                    summary = ingest_date(
                        session,
                        day=target,
                        sources=clients.sources,
                        enricher=enricher,
                        progress=bar,
                    )
                else:
                    summary = ingest_files(session, paths=paths, enricher=enricher, progress=bar)
    except IngestError as error:
        what = f"papers for {target}" if target else "the files"
        typer.echo(f"paperboy: could not ingest {what}: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    _print_summary(summary)


@cli.command()
def papers(
    day: Annotated[str, typer.Option("--date", help="The featured day (YYYY-MM-DD).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """The stored papers featured on a day, most upvoted first."""
    from app.ingest.papers import featured_papers, paper_as_json

    target = _parse_date(day)
    factory, engine = _session_factory(get_settings())
    try:
        with _transaction(factory) as session:
            found = featured_papers(session, day=target)
            rows = [paper_as_json(paper, featured_on=on) for paper, on in found]
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo(f"No papers stored for {target}.")
    for row in rows:
        typer.echo(f"{row['upvotes']:>5}  {row['arxiv_id']:<12} {row['title']}")


@cli.command()
def recommend(
    papers_file: Annotated[
        Path, typer.Option("--papers-file", help="Saved Daily Papers items (a JSON array).")
    ],
    interests: Annotated[str, typer.Option(help="What the reader wants to read about.")] = "",
    seed_paper: Annotated[
        list[str] | None, typer.Option("--seed-paper", help="An arXiv id the reader likes.")
    ] = None,
    clicked: Annotated[
        list[str] | None, typer.Option("--clicked", help="An arXiv id the reader clicked.")
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many papers.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """Rank a file of papers for one reader with the production ranker (no database)."""
    from app.ingest.parse import DumpFileError
    from app.ranking.recommend_command import recommend as run_recommend

    try:
        picks = run_recommend(papers_file, interests, seed_paper or [], clicked or [], k)
    except DumpFileError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(picks, ensure_ascii=False, indent=2))
        return
    for rank, pick in enumerate(picks, start=1):
        typer.echo(f"{rank:>2}. {pick['arxiv_id']:<12} {pick['score']:.3f}  {pick['why']}")


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2025-09-15") from None


def _session_factory(settings: Settings) -> tuple[sessionmaker[Session], Engine]:
    from app.db import make_engine, make_session_factory
    from app.migrations import upgrade_database

    if settings.is_sqlite:
        # The embedded database is created on first use, as `paperboy run` does.
        upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    return make_session_factory(engine), engine


def _transaction(factory: sessionmaker[Session]) -> AbstractContextManager[Session]:
    from app.db import transaction

    return transaction(factory)


class _BarProgress:
    """Ingest progress drawn as rich progress bars on stderr."""

    def __init__(self, bar: RichProgress) -> None:
        self._bar = bar
        self._task: TaskID | None = None

    def stage(self, description: str, total: int | None = None) -> None:
        if self._task is not None:
            task = self._bar.tasks[-1]
            self._bar.update(self._task, total=task.completed or 1, completed=task.completed or 1)
        self._task = self._bar.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, steps)


@contextmanager
def _progress() -> Iterator[_BarProgress]:
    from rich.console import Console
    from rich.progress import Progress

    # Transient: the bars vanish at the end, leaving the summary (or the one error line).
    with Progress(console=Console(stderr=True), transient=True) as bar:
        yield _BarProgress(bar)


def _print_summary(summary: IngestSummary) -> None:
    typer.echo(
        f"fetched {summary.fetched}, new {summary.new}, updated {summary.updated}, "
        f"skipped {len(summary.skipped)}, enriched {summary.enriched}"
    )
    for skip in summary.skipped:
        typer.echo(f"  skipped {skip.item}: {skip.reason}")
    for note in summary.notes:
        typer.echo(f"  note: {note}")


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
