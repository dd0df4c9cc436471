"""What one listed paper shows: the card every page of the site renders.

Every URL from outside goes through ``safe_http_url`` here, at render time, so a
row stored before that check existed (or written by hand) never becomes a link.
Text is left as it is: the templates escape it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.ingest.curves import Curve, CurvePoints
from app.models import Paper, PaperSnapshot
from app.urls import safe_http_url

FIRST_AUTHORS = 3
SUMMARY_CHARS = 320
SPARK_WIDTH = 96
SPARK_HEIGHT = 24


class Link(NamedTuple):
    label: str
    url: str


@dataclass(frozen=True)
class Sparkline:
    """An SVG polyline (in a ``SPARK_WIDTH`` x ``SPARK_HEIGHT`` box) and what it says."""

    points: str
    first: int
    last: int
    count: int

    @property
    def description(self) -> str:
        return f"Upvotes went from {self.first} to {self.last} over {self.count} readings"


@dataclass(frozen=True)
class PaperCard:
    rank: int
    arxiv_id: str
    path: str
    title: str
    organization: str | None
    authors: list[str]
    first_authors: list[str]
    published_on: date | None
    featured_on: date | None
    upvotes: int
    github_stars: int | None
    num_comments: int
    summary: str
    keywords: list[str]
    links: list[Link]
    thumbnail: str | None
    sparkline: Sparkline | None
    abstract: str = ""
    categories: list[str] = field(default_factory=list)

    @property
    def more_authors(self) -> int:
        return len(self.authors) - len(self.first_authors)

    @property
    def authors_line(self) -> str:
        """The first authors, and how many others: "A, B, C and 4 others"."""
        line = ", ".join(self.first_authors)
        more = self.more_authors
        return f"{line} and {more} other{'s' if more != 1 else ''}" if more > 0 else line

    @property
    def element_id(self) -> str:
        """An HTML id for the card's title, from the arXiv id (old-style ids have a slash)."""
        return "title-" + self.arxiv_id.replace("/", "-").replace(".", "-")


Readings = list[tuple[datetime, int]]


class CardSource(Protocol):
    """What a card is made from: a ``Paper``, or a row of ``CARD_COLUMNS``."""

    id: int
    arxiv_id: str
    title: str
    organization: str | None
    authors: list[str]
    published_at: datetime | None
    upvotes: int
    github_stars: int | None
    num_comments: int
    ai_summary: str | None
    abstract: str
    ai_keywords: list[str]
    pdf_url: str | None
    github_repo: str | None
    project_page: str | None
    thumbnail: str | None
    categories: list[str]


# The columns a card reads: selected as plain rows, without building ORM objects.
CARD_COLUMNS = tuple(getattr(Paper, name) for name in CardSource.__annotations__)


def paper_path(arxiv_id: str) -> str:
    """The site path of a paper's page (old-style ids keep their slash)."""
    return "/papers/" + quote(arxiv_id, safe="/.")


def shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """``text`` cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def paper_links(paper: CardSource) -> list[Link]:
    """The paper's outside links in a fixed order: the stored ones that pass
    ``safe_http_url``, and the pages built here from the quoted id."""
    arxiv = quote(paper.arxiv_id, safe="/.")
    stored_pdf = safe_http_url(paper.pdf_url) if paper.pdf_url else None
    candidates = [
        # Built from the percent-quoted id on fixed https origins: nothing to check.
        ("Hugging Face", f"https://huggingface.co/papers/{arxiv}"),
        ("arXiv", f"https://arxiv.org/abs/{arxiv}"),
        ("PDF", stored_pdf or f"https://arxiv.org/pdf/{arxiv}"),
        ("Code", safe_http_url(paper.github_repo)),
        ("Project page", safe_http_url(paper.project_page)),
    ]
    return [Link(label, url) for label, url in candidates if url is not None]


def sparkline(points: CurvePoints | None) -> Sparkline | None:
    """A polyline of upvotes over time from ``(seconds, upvotes)`` points, oldest first
    (a featured day's ``upvote_curve``, or ``readings_curve``); None with fewer than two."""
    if points is None or len(points) < 2:
        return None
    start = points[0][0]
    votes = [v for _, v in points]
    low = min(votes)
    # Pixels per second across, and per upvote down from the top of the box.
    across = SPARK_WIDTH / max(points[-1][0] - start, 1.0)
    down = (SPARK_HEIGHT - 2) / max(max(votes) - low, 1)
    line = " ".join(
        f"{(at - start) * across:.1f},{SPARK_HEIGHT - 1 - (v - low) * down:.1f}" for at, v in points
    )
    return Sparkline(line, int(points[0][1]), int(points[-1][1]), len(points))


def readings_curve(readings: Readings) -> Curve:
    """Readings as ``(seconds since the first, upvotes)`` points, what ``sparkline`` draws."""
    if not readings:
        return []
    first = readings[0][0]
    return [((at - first).total_seconds(), votes) for at, votes in readings]


def readings_between(
    session: Session, papers: Sequence[int] | Select[Any], start: datetime, end: datetime
) -> dict[int, Readings]:
    """Each paper's upvote snapshots in [start, end), oldest first.

    ``papers``: their ids, or a query selecting them (one statement whatever their
    number, which the database plans and caches once).
    """
    readings: dict[int, Readings] = {}
    if not isinstance(papers, Select):
        if not papers:
            return readings
        papers = list(papers)
    rows = session.execute(
        select(PaperSnapshot.paper_id, PaperSnapshot.fetched_at, PaperSnapshot.upvotes)
        .where(
            PaperSnapshot.paper_id.in_(papers),
            PaperSnapshot.fetched_at >= start,
            PaperSnapshot.fetched_at < end,
        )
        .order_by(PaperSnapshot.paper_id, PaperSnapshot.fetched_at)
    )
    for paper_id, fetched_at, upvotes in rows:
        readings.setdefault(paper_id, []).append((fetched_at, upvotes))
    return readings


def card_for(
    paper: CardSource,
    *,
    rank: int,
    featured_on: date | None,
    curve: CurvePoints | None,
    full: bool = False,
) -> PaperCard:
    """The card of ``paper``; ``curve`` is its featured day's upvote curve (the
    sparkline), ``full`` keeps the whole abstract and the categories."""
    authors = [a for a in paper.authors or [] if isinstance(a, str)]
    summary = paper.ai_summary or shorten(paper.abstract or "")
    return PaperCard(
        rank=rank,
        arxiv_id=paper.arxiv_id,
        path=paper_path(paper.arxiv_id),
        title=paper.title,
        organization=paper.organization,
        authors=authors,
        first_authors=authors[:FIRST_AUTHORS],
        published_on=paper.published_at.date() if paper.published_at else None,
        featured_on=featured_on,
        upvotes=paper.upvotes,
        github_stars=paper.github_stars,
        num_comments=paper.num_comments,
        summary=summary,
        keywords=[k for k in paper.ai_keywords or [] if isinstance(k, str)][:8],
        links=paper_links(paper),
        thumbnail=safe_http_url(paper.thumbnail),
        sparkline=sparkline(curve),
        abstract=(paper.abstract or "") if full else "",
        categories=list(paper.categories or []) if full else [],
    )
