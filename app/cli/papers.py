"""``paperboy ingest``, ``paperboy papers`` and ``paperboy recommend``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.database import session_factory
from app.cli.options import DAY, parse_day
from app.config import get_settings
from app.db import transaction

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from app.ingest.service import IngestSummary


def ingest(
    day: Annotated[
        date | None,
        typer.Option(
            "--date", metavar=DAY, parser=parse_day, help="Fetch the papers featured on this day."
        ),
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file", metavar="FILE", help="Load saved Daily Papers API responses (JSON arrays)."
        ),
    ] = None,
    more_files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="[FILE]...", help="More files, after --file F.", show_default=False),
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
    target = day
    settings = get_settings()
    try:
        with (
            session_factory(settings) as factory,
            _progress() as bar,
            ingest_clients(settings) as clients,
        ):
            enricher = None if no_enrich else clients.enricher
            with transaction(factory) as session:
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
    _print_summary(summary)


def show_papers(
    day: Annotated[
        date, typer.Option("--date", metavar=DAY, parser=parse_day, help="The featured day.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """The stored papers featured on a day, most upvoted first."""
    from app.ingest.papers import featured_papers, paper_as_json

    target = day
    with session_factory() as factory, transaction(factory) as session:
        found = featured_papers(session, day=target)
        rows = [paper_as_json(paper, featured_on=on) for paper, on in found]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo(f"No papers stored for {target}.")
        return
    typer.echo(f"{'UPVOTES':>7}  {'ARXIV ID':<12} TITLE")
    for row in rows:
        typer.echo(f"{row['upvotes']:>7}  {row['arxiv_id']:<12} {row['title']}")


def recommend(
    papers_file: Annotated[
        Path,
        typer.Option(
            "--papers-file", metavar="FILE", help="Saved Daily Papers items (a JSON array)."
        ),
    ],
    interests: Annotated[
        str, typer.Option(metavar="TEXT", help="What the reader wants to read about.")
    ] = "",
    seed_paper: Annotated[
        list[str] | None,
        typer.Option(
            "--seed-paper",
            metavar="ID...",
            help="arXiv ids the reader likes (several after the flag, or the flag again).",
        ),
    ] = None,
    clicked: Annotated[
        list[str] | None,
        typer.Option(
            "--clicked",
            metavar="ID...",
            help="arXiv ids the reader clicked (several after the flag, or the flag again).",
        ),
    ] = None,
    k: Annotated[int, typer.Option("-k", metavar="N", min=1, max=50, help="How many papers.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """Rank a file of papers for one reader with the production ranker (no database)."""
    from app.cli.recommend import recommend as run_recommend
    from app.config import get_settings
    from app.ingest.parse import DumpFileError

    try:
        picks = run_recommend(
            papers_file,
            interests,
            seed_paper or [],
            clicked or [],
            k,
            backend=get_settings().ranking_backend,
        )
    except DumpFileError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(picks, ensure_ascii=False, indent=2))
        return
    for rank, pick in enumerate(picks, start=1):
        typer.echo(f"{rank:>2}. {pick['arxiv_id']:<12} {pick['score']:.3f}  {pick['why']}")


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
