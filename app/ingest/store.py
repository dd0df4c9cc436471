"""Upsert parsed papers by arXiv id: papers, featured days and count snapshots.

Built for whole-month backfills as much as for one day: existing rows are read
in one query per chunk, new ones inserted in bulk, and only rows whose values
really changed are updated, so re-ingesting the same data writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, StatementError
from sqlalchemy.orm import Session

from app.ingest.curves import refresh_curves
from app.ingest.parse import ParsedPaper, SkippedItem
from app.ingest.sources.arxiv import ArxivRecord
from app.models.paper import Paper, PaperFeature, PaperSnapshot

log = logging.getLogger(__name__)

# What the database (or its driver) says when it refuses a value of one paper.
_REFUSALS = (StatementError, OverflowError, UnicodeError, ValueError)
# ...and what says the database itself is gone: never blamed on a paper.
_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError)

# Well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 500

# Columns a Daily Papers item sets; an empty value never erases a stored one.
_PAPER_FIELDS = (
    "title",
    "abstract",
    "authors",
    "organization",
    "published_at",
    "github_repo",
    "project_page",
    "thumbnail",
    "ai_summary",
    "ai_keywords",
)
# Counts: overwritten by every source that observes them (zero included).
_COUNT_FIELDS = ("upvotes", "num_comments", "github_stars")
_ENRICHED_FIELDS = ("categories", "primary_category", "arxiv_comment", "pdf_url")

SnapshotPolicy = Literal["always", "on_change"]


@dataclass(slots=True)
class StoreResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    features_added: int = 0
    snapshots: int = 0


def merge_duplicates(
    papers: Iterable[ParsedPaper],
) -> tuple[list[ParsedPaper], dict[str, set[date]]]:
    """One paper per arXiv id (its latest featuring wins) and every day each was featured."""
    latest: dict[str, ParsedPaper] = {}
    days: dict[str, set[date]] = {}
    for paper in papers:
        days.setdefault(paper.arxiv_id, set())
        if paper.featured_on is not None:
            days[paper.arxiv_id].add(paper.featured_on)
        current = latest.get(paper.arxiv_id)
        if current is None or _feature_key(paper) >= _feature_key(current):
            latest[paper.arxiv_id] = paper
    return list(latest.values()), days


def _feature_key(paper: ParsedPaper) -> date:
    return paper.featured_on or date.min


def unenriched_ids(session: Session, arxiv_ids: Iterable[str]) -> list[str]:
    """The ids (in the given order) not yet enriched from arXiv, new ones included."""
    ids = list(dict.fromkeys(arxiv_ids))
    done: set[str] = set()
    for chunk in _chunks(ids):
        done.update(
            session.scalars(
                select(Paper.arxiv_id).where(
                    Paper.arxiv_id.in_(chunk), Paper.enriched_at.is_not(None)
                )
            )
        )
    return [i for i in ids if i not in done]


def store_papers(
    session: Session,
    papers: Sequence[ParsedPaper],
    *,
    fetched_at: datetime,
    run_id: int | None = None,
    enrichment: Mapping[str, ArxivRecord] | None = None,
    observes_counts: bool = True,
    snapshots: SnapshotPolicy = "always",
) -> StoreResult:
    """Insert new papers, update changed ones, add featured days and snapshots.

    ``snapshots="always"`` records one per paper (a live fetch: the trend over the
    day needs every point); ``"on_change"`` only when the counts differ from the
    stored ones (a saved file, which may be loaded again).
    """
    enrichment = enrichment or {}
    unique, featured_days = merge_duplicates(papers)
    result = StoreResult()
    existing = _load_existing(session, [p.arxiv_id for p in unique])

    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    snapshot_ids: set[str] = set()
    for paper in unique:
        values = _values(paper, enrichment.get(paper.arxiv_id), fetched_at, observes_counts)
        stored = existing.get(paper.arxiv_id)
        if stored is None:
            new_rows.append(
                {
                    "arxiv_id": paper.arxiv_id,
                    "created_at": fetched_at,
                    "updated_at": fetched_at,
                    **_defaults(),
                    **values,
                }
            )
            if observes_counts:
                snapshot_ids.add(paper.arxiv_id)
            continue
        changes = {
            key: value
            for key, value in values.items()
            if key != "enriched_at" and stored[key] != value
        }
        if "enriched_at" in values and (changes or stored["enriched_at"] is None):
            changes["enriched_at"] = values["enriched_at"]
        if changes:
            changed_rows.append({"id": stored["id"], "updated_at": fetched_at, **changes})
            result.updated += 1
        else:
            result.unchanged += 1
        if observes_counts and (
            snapshots == "always" or any(key in changes for key in _COUNT_FIELDS)
        ):
            snapshot_ids.add(paper.arxiv_id)

    ids = {arxiv_id: row["id"] for arxiv_id, row in existing.items()}
    if new_rows:
        inserted = session.execute(
            insert(Paper).returning(Paper.id, Paper.arxiv_id), new_rows
        ).all()
        ids.update({arxiv_id: paper_id for paper_id, arxiv_id in inserted})
        result.new = len(new_rows)
    # Rows differ in which columns changed; group them so each UPDATE is one executemany.
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in changed_rows:
        by_columns.setdefault(tuple(sorted(row)), []).append(row)
    for rows in by_columns.values():
        session.execute(update(Paper), rows)

    newly_featured = _add_features(session, featured_days, ids, fetched_at)
    result.features_added = len(newly_featured)
    if snapshot_ids:
        by_id = {p.arxiv_id: p for p in unique}
        session.execute(
            insert(PaperSnapshot),
            [
                {
                    "paper_id": ids[arxiv_id],
                    "ingest_run_id": run_id,
                    "fetched_at": fetched_at,
                    "upvotes": by_id[arxiv_id].upvotes,
                    "github_stars": by_id[arxiv_id].github_stars,
                    "num_comments": by_id[arxiv_id].num_comments,
                }
                for arxiv_id in sorted(snapshot_ids)
            ],
        )
        result.snapshots = len(snapshot_ids)
    # The featured days' upvote curves follow their snapshots (what the site reads).
    refresh_curves(session, {ids[a] for a in snapshot_ids} | newly_featured)
    return result


def store_papers_each_alone(
    session: Session,
    papers: Sequence[ParsedPaper],
    *,
    fetched_at: datetime,
    run_id: int | None = None,
    enrichment: Mapping[str, ArxivRecord] | None = None,
    observes_counts: bool = True,
    snapshots: SnapshotPolicy = "always",
) -> tuple[StoreResult, list[SkippedItem]]:
    """``store_papers`` in one savepoint; if the database refuses it, each paper in its own.

    Parsing already bounds every value (``app.ingest.clean``); this is for what it
    could not foresee. The papers the database refuses are returned as skipped,
    with its reason, and every other paper is stored.
    """

    def store(some: Sequence[ParsedPaper]) -> StoreResult:
        with session.begin_nested():
            return store_papers(
                session,
                some,
                fetched_at=fetched_at,
                run_id=run_id,
                enrichment=enrichment,
                observes_counts=observes_counts,
                snapshots=snapshots,
            )

    try:
        return store(papers), []
    except _REFUSALS as error:
        if isinstance(error, _UNAVAILABLE):
            raise
        log.warning("storing the batch failed (%s); storing each paper alone", _reason(error))
    by_id: dict[str, list[ParsedPaper]] = {}
    for paper in papers:
        by_id.setdefault(paper.arxiv_id, []).append(paper)
    total, refused = StoreResult(), []
    for arxiv_id, group in by_id.items():
        try:
            one = store(group)
        except _REFUSALS as error:
            if isinstance(error, _UNAVAILABLE):
                raise
            refused.append(SkippedItem(arxiv_id, f"refused by the database: {_reason(error)}"))
            continue
        total.new += one.new
        total.updated += one.updated
        total.unchanged += one.unchanged
        total.features_added += one.features_added
        total.snapshots += one.snapshots
    return total, refused


def _reason(error: Exception) -> str:
    cause = error.orig if isinstance(error, StatementError) and error.orig else error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return lines[0][:200]


def _values(
    paper: ParsedPaper,
    record: ArxivRecord | None,
    fetched_at: datetime,
    observes_counts: bool,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _PAPER_FIELDS:
        value = getattr(paper, name)
        if value not in (None, "", []):
            values[name] = value
    if observes_counts:
        for name in _COUNT_FIELDS:
            values[name] = getattr(paper, name)
    if record is not None:
        values["categories"] = record.categories
        values["primary_category"] = record.primary_category
        values["arxiv_comment"] = record.comment
        values["pdf_url"] = record.pdf_url
        values["enriched_at"] = fetched_at
        if "published_at" not in values and record.published_at is not None:
            values["published_at"] = record.published_at
    return values


def _defaults() -> dict[str, Any]:
    # Bulk inserts need every row to carry the same keys.
    return {
        "abstract": "",
        "authors": [],
        "organization": None,
        "published_at": None,
        "upvotes": 0,
        "num_comments": 0,
        "github_repo": None,
        "github_stars": None,
        "project_page": None,
        "thumbnail": None,
        "ai_summary": None,
        "ai_keywords": [],
        "categories": [],
        "primary_category": None,
        "arxiv_comment": None,
        "pdf_url": None,
        "enriched_at": None,
    }


_COMPARED = (
    Paper.id,
    Paper.arxiv_id,
    Paper.enriched_at,
    *(getattr(Paper, name) for name in (*_PAPER_FIELDS, *_COUNT_FIELDS, *_ENRICHED_FIELDS)),
)


def _load_existing(session: Session, arxiv_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    existing: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(arxiv_ids):
        for row in session.execute(select(*_COMPARED).where(Paper.arxiv_id.in_(chunk))):
            existing[row.arxiv_id] = dict(row._mapping)
    return existing


def _add_features(
    session: Session,
    featured_days: Mapping[str, set[date]],
    ids: Mapping[str, int],
    created_at: datetime,
) -> set[int]:
    """Adds the featured days not stored yet; returns the papers that gained one."""
    wanted = {(ids[a], day) for a, days in featured_days.items() for day in days}
    if not wanted:
        return set()
    paper_ids = sorted({paper_id for paper_id, _ in wanted})
    have: set[tuple[int, date]] = set()
    for chunk in _chunks(paper_ids):
        have.update(
            (paper_id, day)
            for paper_id, day in session.execute(
                select(PaperFeature.paper_id, PaperFeature.featured_on).where(
                    PaperFeature.paper_id.in_(chunk)
                )
            )
        )
    missing = sorted(wanted - have)
    if missing:
        session.execute(
            insert(PaperFeature),
            [{"paper_id": p, "featured_on": d, "created_at": created_at} for p, d in missing],
        )
    return {paper_id for paper_id, _ in missing}


_T = TypeVar("_T")


def _chunks(items: Sequence[_T]) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
