"""The arXiv API: enrichment (categories, primary category, comment, PDF link, v1 date) and
the title, abstract and authors of papers readers bring that Daily Papers never featured.

``export.arxiv.org/api/query?id_list=...`` answers with an Atom feed; ids go in
batches of at most 100 and every request (retries included) waits for the
shared rate limiter, so all workers together stay within one call per 3 s.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from app.ingest import clean
from app.ingest.http import HttpFetcher
from app.ingest.parse import normalise_arxiv_id, normalise_text
from app.ingest.progress import NO_PROGRESS, Progress
from app.ingest.spacing import RequestSpacer

MAX_IDS_PER_CALL = 100
_CATEGORY_MAX = 32  # the primary_category column is String(32)
_CATEGORIES_MAX = 50


@dataclass(frozen=True, slots=True)
class ArxivRecord:
    """What arXiv says about one paper: what Daily Papers lacks, and what a paper needs
    when it comes from arXiv alone (title, abstract, authors)."""

    arxiv_id: str
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    comment: str | None = None
    pdf_url: str | None = None
    published_at: datetime | None = None


class ArxivClient:
    """Looks papers up on the arXiv API, politely."""

    def __init__(
        self,
        fetcher: HttpFetcher,
        limiter: RequestSpacer,
        *,
        api_url: str,
        batch_size: int = MAX_IDS_PER_CALL,
    ) -> None:
        self._fetcher = fetcher
        self._limiter = limiter
        self._api_url = api_url
        self._batch_size = min(batch_size, MAX_IDS_PER_CALL)

    def lookup(
        self, arxiv_ids: Sequence[str], *, progress: Progress = NO_PROGRESS
    ) -> dict[str, ArxivRecord]:
        """Records for the ids arXiv knows, keyed by id; ``FetchError`` if a call fails."""
        ids = list(dict.fromkeys(arxiv_ids))
        records: dict[str, ArxivRecord] = {}
        for start in range(0, len(ids), self._batch_size):
            chunk = ids[start : start + self._batch_size]
            response = self._fetcher.get(
                self._api_url,
                params={"id_list": ",".join(chunk), "max_results": len(chunk)},
                before_each=self._limiter.wait,
            )
            wanted = set(chunk)
            for record in parse_arxiv_atom(response.text):
                if record.arxiv_id in wanted:
                    records[record.arxiv_id] = record
            progress.advance(len(chunk))
        return records


def parse_arxiv_atom(text: str) -> list[ArxivRecord]:
    """Records from an arXiv API Atom response; entries without a valid id are ignored."""
    feed = feedparser.parse(text)
    records = []
    for entry in feed.entries:
        arxiv_id = arxiv_id_from_url(str(entry.get("id", "")))
        if arxiv_id is None:
            continue  # arXiv reports errors as an entry whose id is an error URL
        categories = [_category(tag.get("term")) for tag in entry.get("tags", [])]
        primary = entry.get("arxiv_primary_category", {}).get("term")
        records.append(
            ArxivRecord(
                arxiv_id=arxiv_id,
                title=normalise_text(entry.get("title"))[: clean.TITLE_MAX],
                abstract=normalise_text(entry.get("summary"))[: clean.ABSTRACT_MAX],
                authors=_authors(entry.get("authors", [])),
                categories=list(dict.fromkeys(c for c in categories if c))[:_CATEGORIES_MAX],
                primary_category=_category(primary),
                comment=normalise_text(entry.get("arxiv_comment"))[: clean.SUMMARY_MAX] or None,
                pdf_url=_pdf_url(arxiv_id, entry.get("links", [])),
                published_at=struct_to_utc(entry.get("published_parsed")),
            )
        )
    return records


def arxiv_id_from_url(url: str) -> str | None:
    """``2409.12345`` from ``http://arxiv.org/abs/2409.12345v2`` or ``oai:arXiv.org:2409.12345``."""
    for marker in ("/abs/", "oai:arXiv.org:"):
        if marker in url:
            return normalise_arxiv_id(url.split(marker, 1)[1])
    return None


def struct_to_utc(value: time.struct_time | None) -> datetime | None:
    """feedparser's UTC ``struct_time`` as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, OSError, ValueError):  # a year no clock can hold
        return None


def _category(term: object) -> str | None:
    # "cs.LG", "math.AP", "cond-mat.stat-mech": short; anything else is not a category.
    name = normalise_text(str(term)) if term else ""
    return name if 0 < len(name) <= _CATEGORY_MAX else None


def _authors(authors: list[Any]) -> list[str]:
    names = (normalise_text(str(a.get("name", "")))[: clean.NAME_MAX] for a in authors)
    return [name for name in names if name][: clean.AUTHORS_MAX]


def _pdf_url(arxiv_id: str, links: list[Any]) -> str | None:
    # Link the unversioned PDF, which always serves the latest version.
    for link in links:
        if link.get("title") == "pdf" or link.get("type") == "application/pdf":
            return f"https://arxiv.org/pdf/{arxiv_id}"
    return None
