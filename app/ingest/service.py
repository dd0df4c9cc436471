"""The ingest flows: one day from the live sources, or saved API responses from files.

Network first, database second: a day is fetched completely before anything is
written, so a fetch that fails (no network, API down) changes nothing and the
caller decides what to record. arXiv enrichment is best effort: if arXiv fails
the papers are stored anyway and enriched on a later run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from app.db import utcnow
from app.ingest.errors import FetchError
from app.ingest.parse import SkippedItem, load_daily_papers_file
from app.ingest.progress import NO_PROGRESS, Progress
from app.ingest.sources import Source, SourceBatch
from app.ingest.sources.arxiv import ArxivClient, ArxivRecord
from app.ingest.store import SnapshotPolicy, store_papers_each_alone, unenriched_ids
from app.models.ingest_run import IngestRun, IngestRunStatus

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IngestSummary:
    """What one ingest did, for the CLI's closing lines and the task's log."""

    fetched: int = 0
    new: int = 0
    updated: int = 0
    enriched: int = 0
    skipped: list[SkippedItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    run_ids: list[int] = field(default_factory=list)

    def add(self, other: IngestSummary) -> None:
        self.fetched += other.fetched
        self.new += other.new
        self.updated += other.updated
        self.enriched += other.enriched
        self.skipped += other.skipped
        self.notes += other.notes
        self.run_ids += other.run_ids


def ingest_date(
    session: Session,
    *,
    day: date,
    sources: Sequence[Source],
    enricher: ArxivClient | None,
    progress: Progress = NO_PROGRESS,
    now: Callable[[], datetime] = utcnow,
) -> IngestSummary:
    """Fetch ``day`` from every source, enrich, and store; idempotent.

    Raises ``FetchError`` (having written nothing) when no source could be read.
    A failing extra source, with another one working, becomes a note instead.
    """
    batches: list[SourceBatch] = []
    failures: list[FetchError] = []
    for source in sources:
        try:
            batches.append(source.fetch_day(day, progress=progress))
        except FetchError as error:
            log.warning("ingest %s from %s failed: %s", day, source.name, error)
            failures.append(error)
    if not batches and failures:
        raise failures[0]
    summary = IngestSummary(notes=[str(error) for error in failures])
    # Feeds first, Daily Papers last: its values (and featured days) are the ones we keep.
    for batch in sorted(batches, key=lambda b: b.observes_counts):
        summary.add(
            ingest_batch(
                session,
                batch=batch,
                target_date=day,
                enricher=enricher,
                snapshots="always",
                progress=progress,
                now=now,
            )
        )
    return summary


def ingest_files(
    session: Session,
    *,
    paths: Sequence[Path],
    enricher: ArxivClient | None,
    progress: Progress = NO_PROGRESS,
    now: Callable[[], datetime] = utcnow,
) -> IngestSummary:
    """Load saved Daily Papers responses; ``DumpFileError`` if a file is unusable.

    Every file is read before anything is stored, so one unreadable file
    among several stores nothing.
    """
    batch = SourceBatch("file")
    for path in paths:
        parsed = load_daily_papers_file(path)
        batch.papers += parsed.papers
        batch.skipped += [
            SkippedItem(f"{Path(path).name}: {skip.item}", skip.reason) for skip in parsed.skipped
        ]
    return ingest_batch(
        session,
        batch=batch,
        target_date=None,
        enricher=enricher,
        snapshots="on_change",
        progress=progress,
        now=now,
    )


def ingest_batch(
    session: Session,
    *,
    batch: SourceBatch,
    target_date: date | None,
    enricher: ArxivClient | None,
    snapshots: SnapshotPolicy,
    progress: Progress = NO_PROGRESS,
    now: Callable[[], datetime] = utcnow,
) -> IngestSummary:
    """Enrich and store one source's batch, recorded as one ``IngestRun``."""
    run = IngestRun(source=batch.source, target_date=target_date, started_at=now())
    session.add(run)
    session.flush()
    for skip in batch.skipped:
        log.info("ingest %s: skipped %s: %s", batch.source, skip.item, skip.reason)
    summary = IngestSummary(
        fetched=len(batch.papers) + len(batch.skipped),
        skipped=list(batch.skipped),
        notes=list(batch.notes),
        run_ids=[run.id],
    )
    enrichment: dict[str, ArxivRecord] = {}
    if enricher is not None and batch.papers:
        wanted = unenriched_ids(session, (p.arxiv_id for p in batch.papers))
        progress.stage("arXiv", len(wanted))
        try:
            enrichment = enricher.lookup(wanted, progress=progress)
        except FetchError as error:
            log.warning("arXiv enrichment failed: %s", error)
            summary.notes.append(f"arXiv enrichment failed, will retry next run: {error}")
    summary.notes += [f"{p.arxiv_id}: {note}" for p in batch.papers for note in p.notes]
    progress.stage("Storing", len(batch.papers))
    stored, refused = store_papers_each_alone(
        session,
        batch.papers,
        fetched_at=now(),
        run_id=run.id,
        enrichment=enrichment,
        observes_counts=batch.observes_counts,
        snapshots=snapshots,
    )
    summary.skipped += refused
    progress.advance(len(batch.papers))
    summary.new, summary.updated, summary.enriched = stored.new, stored.updated, len(enrichment)
    run.fetched, run.new, run.updated = summary.fetched, summary.new, summary.updated
    run.enriched, run.skipped = summary.enriched, len(summary.skipped)
    run.skipped_items = [skip.as_dict() for skip in summary.skipped]
    run.error = "; ".join(summary.notes) or None
    run.status = IngestRunStatus.SUCCEEDED
    run.finished_at = now()
    return summary


def record_failed_run(
    session: Session, *, source: str, target_date: date | None, error: str
) -> IngestRun:
    """Record a run that fetched nothing (so the admin sees failures, not just silence)."""
    at = utcnow()
    run = IngestRun(
        source=source,
        target_date=target_date,
        status=IngestRunStatus.FAILED,
        started_at=at,
        finished_at=at,
        error=error,
    )
    session.add(run)
    session.flush()
    return run
