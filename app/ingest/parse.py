"""Tolerant parsing of Hugging Face Daily Papers items into normalised papers.

The API's schema drifts: optional keys are absent rather than null, older items
carry ``mediaUrl`` and no ``submittedBy`` or ``ai_*`` keys, and new keys appear.
The pydantic models below accept all of that; only an item that is really broken
(no arXiv id, a malformed id, no title) is skipped, with a reason. Values are then
bounded (``app.ingest.clean``): counts clamped, text cleaned and capped, unsafe
URLs dropped, each with a note, so one hostile value never fails a batch.

Times: ``paper.publishedAt`` is the true UTC arXiv v1 date; the featured day is
the date part of ``paper.submittedOnDailyAt``. The top-level ``publishedAt`` is New
York local time with a false ``Z`` and is deliberately ignored.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from app.ingest import clean
from app.ingest.clean import normalise_text
from app.ingest.errors import DumpFileError

log = logging.getLogger(__name__)

# New-style ids (0704.0001 onwards: YYMM.NNNN or YYMM.NNNNN) and old-style ids
# (archive[.subject]/YYMMNNN), both without a version suffix.
# Archive names are short ("cond-mat", "hep-th"): bounded so the id fits its column.
# ASCII digits only (``\d`` alone would take any script's), a month of 01-12, and four
# digits after the dot until 1412, five from 1501 (arXiv's numbering).
ARXIV_ID_RE = re.compile(
    r"^(?:(?:\d\d(?:0[1-9]|1[0-2]))\.\d{4,5}|[a-z][a-z\-]{0,15}(?:\.[A-Z]{2})?/\d{7})$",
    re.ASCII,
)
_VERSION_RE = re.compile(r"v\d+$", re.ASCII)

# Keys whose absence or wrong type makes an item unusable; any other invalid
# value is dropped (the item is kept without it).
_ESSENTIAL = {("paper",), ("paper", "id"), ("paper", "title")}

__all__ = [
    "DumpFileError",
    "ParseResult",
    "ParsedPaper",
    "SkippedItem",
    "load_daily_papers_file",
    "normalise_arxiv_id",
    "normalise_text",
    "parse_daily_papers",
    "parse_item",
]


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class HFAuthor(_Loose):
    name: str | None = None
    hidden: bool = False


class HFPaper(_Loose):
    id: str | None = None
    title: str | None = None
    summary: str | None = None
    authors: list[HFAuthor] = Field(default_factory=list)
    published_at: datetime | None = Field(default=None, alias="publishedAt")
    submitted_on_daily_at: datetime | None = Field(default=None, alias="submittedOnDailyAt")
    upvotes: int | None = 0
    github_repo: str | None = Field(default=None, alias="githubRepo")
    github_stars: int | None = Field(default=None, alias="githubStars")
    project_page: str | None = Field(default=None, alias="projectPage")
    ai_summary: str | None = None
    ai_keywords: list[str] = Field(default_factory=list)
    organization: dict[str, Any] | None = None

    @field_validator("authors", "ai_keywords", mode="before")
    @classmethod
    def _null_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class HFItem(_Loose):
    paper: HFPaper
    num_comments: int | None = Field(default=0, alias="numComments")
    thumbnail: str | None = None
    organization: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ParsedPaper:
    """One paper as normalised from a Daily Papers item (or another source)."""

    arxiv_id: str
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    organization: str | None = None
    published_at: datetime | None = None
    featured_on: date | None = None
    upvotes: int = 0
    num_comments: int = 0
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    thumbnail: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = field(default_factory=list)
    # What bounding changed (a cut abstract, a dropped URL): kept in the run's notes.
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"


@dataclass(frozen=True, slots=True)
class SkippedItem:
    """An item that could not be used, and why (shown in summaries and the admin)."""

    item: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"item": self.item, "reason": self.reason}


@dataclass(slots=True)
class ParseResult:
    papers: list[ParsedPaper] = field(default_factory=list)
    skipped: list[SkippedItem] = field(default_factory=list)


def normalise_arxiv_id(raw: str | None) -> str | None:
    """The arXiv id without version, or None when it is not a valid arXiv id."""
    if not raw:
        return None
    # Full-width digits (an East Asian input method's default) are the same id.
    candidate = _VERSION_RE.sub("", unicodedata.normalize("NFKC", raw).strip())
    if not ARXIV_ID_RE.match(candidate):
        return None
    if "/" not in candidate and (len(candidate) == 10) != (candidate[:4] >= "1501"):
        return None  # 2511.1982 or 1412.00001: no such numbering
    return candidate


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: no such UTC time
        return None


def _organization_name(org: dict[str, Any] | None) -> str | None:
    if not org:
        return None
    name = org.get("fullname") or org.get("name")
    return normalise_text(str(name))[: clean.NAME_MAX] or None if name else None


def _drop_invalid_values(raw: dict[str, Any], errors: list[ErrorDetails]) -> bool:
    """Remove the values pydantic rejected, in place; False if an essential one is bad."""
    doomed: dict[int, tuple[list[Any], set[int]]] = {}
    for error in errors:
        loc = tuple(error["loc"])
        if not loc or loc[:2] in _ESSENTIAL:
            return False
        parent: Any = raw
        for part in loc[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                return False
        last = loc[-1]
        if isinstance(parent, dict):
            parent.pop(last, None)
        elif isinstance(parent, list) and isinstance(last, int):
            # Delete list elements after the walk, so indices of later errors stay valid.
            doomed.setdefault(id(parent), (parent, set()))[1].add(last)
        else:
            return False
    for items, indices in doomed.values():
        for index in sorted(indices, reverse=True):
            del items[index]
    return True


def _validate(raw: object, label: str, notes: list[str]) -> HFItem | SkippedItem:
    """The item, with optional values of the wrong type dropped (each with a note)."""
    try:
        return HFItem.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "item"
        reason = f"invalid {where}: {first['msg']}"
        if not isinstance(raw, dict):
            return SkippedItem(label, "not a JSON object")
        if not isinstance(raw.get("paper"), dict):
            return SkippedItem(label, "no paper object")
        repaired = copy.deepcopy(raw)
        if not _drop_invalid_values(repaired, error.errors()):
            return SkippedItem(label, reason)
        try:
            item = HFItem.model_validate(repaired)
        except ValidationError:
            return SkippedItem(label, reason)
        log.info("daily papers %s: dropped invalid optional values (%s)", label, reason)
        for dropped in error.errors():
            where = ".".join(str(part) for part in dropped["loc"]).removeprefix("paper.")
            notes.append(f"{where} dropped: {str(dropped['msg']).lower()}")
        return item


def parse_item(raw: object, position: int) -> ParsedPaper | SkippedItem:
    """Parse one Daily Papers item, or say why it cannot be used.

    An optional value of the wrong type (say ``githubStars: "many"``) is dropped
    and the item kept; only a missing/malformed id or a missing title skips it.
    """
    label = f"item {position}"
    if isinstance(raw, dict):
        paper_id = raw.get("paper", {}).get("id") if isinstance(raw.get("paper"), dict) else None
        if isinstance(paper_id, str) and paper_id.strip():
            label = paper_id.strip()
    notes: list[str] = []
    item = _validate(raw, label, notes)
    if isinstance(item, SkippedItem):
        return item
    paper = item.paper
    if not paper.id or not paper.id.strip():
        return SkippedItem(label, "no arXiv id")
    arxiv_id = normalise_arxiv_id(paper.id)
    if arxiv_id is None:
        return SkippedItem(label, f"malformed arXiv id {paper.id!r}")
    # The top-level title/summary repeat the paper's; use them if the paper lacks one.
    title = clean.bounded_text(
        paper.title if normalise_text(paper.title) else _extra_str(item, "title"),
        clean.TITLE_MAX,
        "title",
        notes,
    )
    if not clean.visible(title):
        return SkippedItem(label, "no title")
    abstract = clean.bounded_text(
        paper.summary if normalise_text(paper.summary) else _extra_str(item, "summary"),
        clean.ABSTRACT_MAX,
        "abstract",
        notes,
    )
    submitted = _as_utc(paper.submitted_on_daily_at)
    featured_on = submitted.date() if submitted else None
    published_at = _as_utc(paper.published_at)
    if published_at and not plausible_published_at(arxiv_id, published_at, featured_on):
        # Seen in real data: a 2509.* paper "published" in 2026. A wrong date is worse
        # than none; the arXiv enrichment fills in the true v1 date.
        log.warning("daily papers %s: ignoring impossible publishedAt %s", label, published_at)
        notes.append(f"publishedAt dropped: {published_at:%Y-%m-%d} cannot be this paper's")
        published_at = None
    authors = [
        normalise_text(a.name)[: clean.NAME_MAX] for a in paper.authors if a.name and not a.hidden
    ]
    authors = [name for name in authors if name]
    if len(authors) > clean.AUTHORS_MAX:
        notes.append(f"author list cut to {clean.AUTHORS_MAX} names (was {len(authors)})")
    keywords = [normalise_text(k)[: clean.KEYWORD_MAX] for k in paper.ai_keywords]
    return ParsedPaper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=authors[: clean.AUTHORS_MAX],
        organization=_organization_name(paper.organization or item.organization),
        published_at=published_at,
        featured_on=featured_on,
        upvotes=clean.clamp_count(paper.upvotes),
        num_comments=clean.clamp_count(item.num_comments),
        github_repo=clean.outside_url(paper.github_repo, "githubRepo", notes),
        github_stars=None if paper.github_stars is None else clean.clamp_count(paper.github_stars),
        project_page=clean.outside_url(paper.project_page, "projectPage", notes),
        thumbnail=clean.outside_url(item.thumbnail, "thumbnail", notes),
        ai_summary=clean.bounded_text(paper.ai_summary, clean.SUMMARY_MAX, "ai_summary", notes)
        or None,
        ai_keywords=[k for k in keywords if k][: clean.KEYWORDS_MAX],
        notes=tuple(notes),
    )


def plausible_published_at(arxiv_id: str, published_at: datetime, featured_on: date | None) -> bool:
    """False for a v1 date that cannot be: after the featured day or after the id's month.

    New-style ids carry the year and month they were assigned (``2509.`` is
    September 2025), so v1 cannot be later; it can be earlier (papers held in
    moderation, weekend submissions announced the next month).
    """
    latest = featured_on + timedelta(days=1) if featured_on and featured_on < date.max else None
    if len(arxiv_id) > 4 and arxiv_id[4] == "." and 1 <= int(arxiv_id[2:4]) <= 12:
        month = date(2000 + int(arxiv_id[:2]), int(arxiv_id[2:4]), 1)
        month_end = (month + timedelta(days=32)).replace(day=1)  # a day of slack for zones
        latest = min(latest, month_end) if latest else month_end
    return latest is None or published_at.date() <= latest


def _extra_str(item: HFItem, key: str) -> str | None:
    value = (item.model_extra or {}).get(key)
    return value if isinstance(value, str) else None


def parse_daily_papers(items: Iterable[object]) -> ParseResult:
    """Parse a batch of items; broken ones are skipped and explained, never fatal."""
    result = ParseResult()
    for position, raw in enumerate(items):
        parsed = parse_item(raw, position)
        if isinstance(parsed, SkippedItem):
            result.skipped.append(parsed)
        else:
            result.papers.append(parsed)
    return result


def load_daily_papers_file(path: Path) -> ParseResult:
    """Parse a saved API response (a JSON array of Daily Papers items)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise DumpFileError(f"{path}: cannot be read ({error.strerror or error})") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DumpFileError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(data, list):
        raise DumpFileError(f"{path}: expected a JSON array of Daily Papers items")
    return parse_daily_papers(data)
