"""Papers readers brought that we have not stored yet: looked up on arXiv in the background.

A reader may bring any arXiv paper, old or new; most were never on Daily Papers.
``request_lookups`` notes the ids we lack (one ``PaperLookup`` row each, shared by
every reader who brings it). The ``ingest.fetch_brought_papers`` job
(``app.ingest.jobs``), enqueued when a reader brings one and run on the schedule,
asks arXiv for the waiting ids through the one ``ArxivClient`` (its rate limiter
keeps every worker within one call per 3 s) and ``record_lookups`` stores the
answers as papers. Without a network the ids simply keep waiting for the next
run; an id arXiv answers without is marked missing and never asked for again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.ingest.parse import ParsedPaper, SkippedItem
from app.ingest.sources.arxiv import ArxivRecord
from app.ingest.store import store_papers_each_alone
from app.models.paper import Paper, PaperLookup

# Ids asked for in one run: three arXiv calls of 100 (9 s of spacing at most).
MAX_PER_RUN = 300


@dataclass(slots=True)
class LookupSummary:
    """What one run of the lookup job did."""

    asked: int = 0
    stored: int = 0
    missing: list[str] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    failed: str | None = None


def stored_ids(session: Session, arxiv_ids: Iterable[str]) -> set[str]:
    """The ids among ``arxiv_ids`` that are stored papers."""
    ids = list(dict.fromkeys(arxiv_ids))
    if not ids:
        return set()
    return set(session.scalars(select(Paper.arxiv_id).where(Paper.arxiv_id.in_(ids))))


def missing_ids(session: Session, arxiv_ids: Iterable[str]) -> set[str]:
    """The ids among ``arxiv_ids`` that arXiv answered without (no such paper)."""
    ids = list(dict.fromkeys(arxiv_ids))
    if not ids:
        return set()
    return set(
        session.scalars(
            select(PaperLookup.arxiv_id).where(
                PaperLookup.arxiv_id.in_(ids), PaperLookup.missing_at.is_not(None)
            )
        )
    )


def request_lookups(
    session: Session, arxiv_ids: Sequence[str], *, now: datetime | None = None
) -> list[str]:
    """Note the ids we have no paper for; returns those now waiting for arXiv."""
    now = now or utcnow()
    unknown = [i for i in dict.fromkeys(arxiv_ids) if i not in stored_ids(session, arxiv_ids)]
    if not unknown:
        return []
    noted = {
        row.arxiv_id: row
        for row in session.scalars(select(PaperLookup).where(PaperLookup.arxiv_id.in_(unknown)))
    }
    for arxiv_id in unknown:
        if arxiv_id in noted:
            continue
        try:
            # A savepoint each: another reader bringing the same id at once is fine.
            with session.begin_nested():
                session.add(PaperLookup(arxiv_id=arxiv_id, requested_at=now))
        except IntegrityError:
            continue
    return [i for i in unknown if i not in noted or noted[i].missing_at is None]


def waiting_ids(session: Session, *, limit: int = MAX_PER_RUN) -> list[str]:
    """Ids still to ask arXiv for, the least recently tried first."""
    stored = exists().where(Paper.arxiv_id == PaperLookup.arxiv_id)
    return list(
        session.scalars(
            select(PaperLookup.arxiv_id)
            .where(PaperLookup.missing_at.is_(None), ~stored)
            .order_by(
                PaperLookup.last_tried_at.is_not(None),
                PaperLookup.last_tried_at,
                PaperLookup.id,
            )
            .limit(limit)
        )
    )


def record_lookups(
    session: Session,
    *,
    asked: Sequence[str],
    records: Mapping[str, ArxivRecord] | None,
    now: datetime | None = None,
    error: str | None = None,
) -> LookupSummary:
    """Store what arXiv answered for ``asked`` (``records``; None: the call failed).

    Found papers become rows of ``paper`` (no featured day, no counts: arXiv has
    none) and their lookups go; ids arXiv did not return are marked missing. A
    failed call only counts the attempt: the ids wait for the next run.
    """
    now = now or utcnow()
    summary = LookupSummary(asked=len(asked), failed=error)
    rows = {
        row.arxiv_id: row
        for row in session.scalars(select(PaperLookup).where(PaperLookup.arxiv_id.in_(asked)))
    }
    for row in rows.values():
        row.attempts += 1
        row.last_tried_at = now
    if records is None:
        session.flush()
        return summary
    found = {arxiv_id: record for arxiv_id, record in records.items() if record.title}
    papers = [
        ParsedPaper(
            arxiv_id=record.arxiv_id,
            title=record.title,
            abstract=record.abstract,
            authors=list(record.authors),
            published_at=record.published_at,
        )
        for record in found.values()
    ]
    result, refused = store_papers_each_alone(
        session, papers, fetched_at=now, enrichment=found, observes_counts=False
    )
    summary.stored, summary.skipped = result.new + result.updated, refused
    summary.missing = [arxiv_id for arxiv_id in asked if arxiv_id not in found]
    for arxiv_id in summary.missing:
        if arxiv_id in rows:
            rows[arxiv_id].missing_at = now
    session.flush()
    done = stored_ids(session, asked)
    if done:
        session.execute(delete(PaperLookup).where(PaperLookup.arxiv_id.in_(list(done))))
    return summary
