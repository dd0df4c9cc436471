"""``paperboy demo``: the offline first tour (see app/demo)."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.database import session_factory
from app.cli.sending import retry_watcher
from app.config import Settings, get_settings
from app.db import transaction


def demo() -> None:
    """Load two days of real papers shipped with Paperboy, add five example.org readers and
    send them the edition of 27 November 2025. Safe to run again."""
    from app.demo.tour import (
        EDITION_DATE,
        NotADemoDatabase,
        add_demo_readers,
        check_demo_database,
        load_sample_papers,
    )
    from app.editions.running import send_edition
    from app.migrations import upgrade_database

    settings = get_settings()
    upgrade_database(settings.database_url)
    with session_factory(settings) as factory:
        try:
            with transaction(factory) as session:
                check_demo_database(session)
                papers = load_sample_papers(session)
                readers = add_demo_readers(session)
        except NotADemoDatabase as error:
            typer.echo(f"paperboy demo: {error}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"Papers: {papers.fetched} featured on 26 and 27 November 2025 "
            f"({papers.new} new, from the sample shipped with Paperboy)."
        )
        typer.echo(
            f"Readers: {readers.imported + readers.already_present} at example.org "
            f"({readers.imported} new), each with their own interests."
        )
        watch = retry_watcher(factory, lambda line: typer.echo(f"paperboy demo: {line}", err=True))
        final = send_edition(settings, factory, edition_date=EDITION_DATE, on_progress=watch)
    typer.echo(
        f"Edition {final.edition_id} of {EDITION_DATE:%d %B %Y}: {final.status.value}, "
        f"{final.counts.sent} of {final.counts.recipients} digests sent."
    )
    _where_to_look(settings)


def _where_to_look(settings: Settings) -> None:
    base = settings.base_url
    typer.echo("\nWhere to look (with `paperboy run` serving):")
    typer.echo(f"  {base}/sample        the edition as a made-up reader gets it")
    typer.echo(f"  {base}/admin         the dashboard: the edition, its papers and readers")
    typer.echo(f"  {base}/admin/outbox  every message sent, rendered")
    typer.echo("  (first: paperboy admin create-user you@example.org, then sign in)")
    outbox = settings.outbox_dir
    if outbox is not None:
        digest = _a_digest(outbox)
        if digest is not None:
            typer.echo(f"  {digest}\n      a digest to open in your mail program")
    else:
        typer.echo(f"  the digests went to the mail server at {settings.mail_url.split('@')[-1]}")


def _a_digest(outbox: Path) -> Path | None:
    for path in sorted(outbox.glob("*.eml")):
        head = path.read_bytes()[:4096]
        if b"ada@example.org" in head and b"Subject: Confirm" not in head:
            return path
    return None
