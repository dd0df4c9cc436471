"""Where papers come from: each source turns one day into parsed papers.

A source is one small class in one file (``hf_daily.py``, ``arxiv_feed.py``);
adding a third means writing a ``fetch_day`` and listing it in ``build_sources``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from app.ingest.parse import ParsedPaper, SkippedItem
from app.ingest.progress import Progress


@dataclass(slots=True)
class SourceBatch:
    """What one source produced for one day."""

    source: str
    papers: list[ParsedPaper] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)
    # Upvotes/stars/comments are observed (Daily Papers) rather than unknown (feeds):
    # only observed counts may overwrite stored ones and make snapshots.
    observes_counts: bool = True
    notes: list[str] = field(default_factory=list)


class Source(Protocol):
    name: str

    def fetch_day(self, day: date, *, progress: Progress) -> SourceBatch:
        """The papers this source has for ``day``; ``FetchError`` if it cannot be reached."""
        ...
