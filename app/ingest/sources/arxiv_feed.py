"""arXiv category listing feeds (``rss.arxiv.org/rss/cs.LG``): a second, optional source.

The feed lists the day's new announcements in a category. Its papers are not
featured anywhere, so they get no featured day and no counts; they widen the
pool of candidates. Off by default (``PAPERBOY_ARXIV_FEED_ENABLED``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import feedparser

from app.ingest import clean
from app.ingest.http import HttpFetcher
from app.ingest.parse import ParsedPaper, SkippedItem, normalise_text
from app.ingest.progress import Progress
from app.ingest.sources import SourceBatch
from app.ingest.sources.arxiv import arxiv_id_from_url, struct_to_utc
from app.ingest.spacing import RequestSpacer

# "arXiv:2509.00101v1 Announce Type: new \nAbstract: We study ..."
_ABSTRACT_RE = re.compile(r"^.*?\bAbstract:\s*", re.DOTALL)


class ArxivListingSource:
    """New submissions in some arXiv categories (the feed only ever shows the latest day)."""

    name = "arxiv_feed"

    def __init__(
        self,
        fetcher: HttpFetcher,
        limiter: RequestSpacer,
        *,
        feed_url: str,
        categories: Sequence[str],
    ) -> None:
        self._fetcher = fetcher
        self._limiter = limiter
        self._feed_url = feed_url.rstrip("/")
        self._categories = list(categories)

    def fetch_day(self, day: date, *, progress: Progress) -> SourceBatch:
        batch = SourceBatch(self.name, observes_counts=False)
        seen: set[str] = set()
        progress.stage("arXiv listings", len(self._categories))
        for category in self._categories:
            response = self._fetcher.get(
                f"{self._feed_url}/{category}", before_each=self._limiter.wait
            )
            for position, entry in enumerate(feedparser.parse(response.text).entries):
                parsed = _parse_entry(entry, f"{category} entry {position}")
                if isinstance(parsed, SkippedItem):
                    batch.skipped.append(parsed)
                elif parsed.arxiv_id not in seen:
                    seen.add(parsed.arxiv_id)
                    batch.papers.append(parsed)
            progress.advance()
        return batch


def _parse_entry(entry: feedparser.FeedParserDict, label: str) -> ParsedPaper | SkippedItem:
    arxiv_id = arxiv_id_from_url(str(entry.get("id", ""))) or arxiv_id_from_url(
        str(entry.get("link", ""))
    )
    if arxiv_id is None:
        return SkippedItem(label, "no arXiv id")
    notes: list[str] = []
    title = clean.bounded_text(entry.get("title"), clean.TITLE_MAX, "title", notes)
    if not title:
        return SkippedItem(arxiv_id, "no title")
    authors = [normalise_text(a)[: clean.NAME_MAX] for a in str(entry.get("author", "")).split(",")]
    summary = _ABSTRACT_RE.sub("", str(entry.get("summary", "")), count=1)
    return ParsedPaper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=clean.bounded_text(summary, clean.ABSTRACT_MAX, "abstract", notes),
        authors=[a for a in authors if a][: clean.AUTHORS_MAX],
        published_at=struct_to_utc(entry.get("published_parsed")),
        notes=tuple(notes),
    )
