"""The site's machine-readable views: the daily trending list as Atom, and the sitemap.

Both are built with ElementTree, so every text is escaped by the XML writer;
characters XML 1.0 cannot carry (control characters from a hostile title) are
dropped first. Entry ids are the papers' canonical URLs: stable across fetches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ingest.curves import day_start
from app.models import Paper, PaperFeature
from app.papers.cards import PaperCard, paper_path
from app.papers.listing import latest_featured_day, period_listing
from app.papers.periods import PeriodKind, period_of

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_ENTRIES = 30
# The sitemap protocol's limit per file.
SITEMAP_URLS = 50_000
_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Document:
    body: bytes
    updated: datetime | None


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (one makes a whole feed
    unreadable): the site's feed, the sitemap and each reader's own feed pass every text
    through it."""
    return _NOT_XML.sub("", value)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, value: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if value is not None:
        element.text = xml_text(value)
    return element


def _updated_of(session: Session, cards: list[PaperCard]) -> dict[str, datetime]:
    if not cards:
        return {}
    rows = session.execute(
        select(Paper.arxiv_id, Paper.updated_at).where(
            Paper.arxiv_id.in_([c.arxiv_id for c in cards])
        )
    )
    return {arxiv_id: updated_at for arxiv_id, updated_at in rows}


def trending_feed(session: Session, *, base_url: str, now: datetime) -> Document:
    """The latest featured day's papers, most trending first, as an Atom 1.0 feed."""
    base_url = base_url.rstrip("/")
    day = latest_featured_day(session)
    cards = period_listing(session, period_of("day", day), now=now).cards if day else []
    cards = cards[:FEED_ENTRIES]
    updated_at = _updated_of(session, cards)
    feed_updated = max(updated_at.values(), default=None) or (day_start(day) if day else now)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", f"{base_url}/papers/feed.atom")
    _sub(feed, "title", "Paperboy: trending machine-learning papers")
    _sub(feed, "subtitle", "The papers featured on Hugging Face Daily Papers, most trending first.")
    _sub(feed, "updated", _utc(feed_updated))
    _sub(feed, "link", rel="self", href=f"{base_url}/papers/feed.atom")
    _sub(feed, "link", rel="alternate", type="text/html", href=f"{base_url}/papers")
    author = _sub(feed, "author")
    _sub(author, "name", "Paperboy")
    for card in cards:
        entry = _sub(feed, "entry")
        _sub(entry, "id", base_url + card.path)
        _sub(entry, "title", card.title, type="text")
        _sub(entry, "link", rel="alternate", type="text/html", href=base_url + card.path)
        _sub(entry, "updated", _utc(updated_at.get(card.arxiv_id, feed_updated)))
        if card.published_on is not None:
            _sub(entry, "published", _utc(day_start(card.published_on)))
        for name in card.authors[:20]:
            _sub(_sub(entry, "author"), "name", name)
        summary = f"#{card.rank} on {card.featured_on} · {card.upvotes} upvotes. {card.summary}"
        _sub(entry, "summary", summary, type="text")
        for keyword in card.keywords:
            if xml_text(keyword).strip():
                _sub(entry, "category", term=xml_text(keyword))
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return Document(body, feed_updated)


def sitemap(session: Session, *, base_url: str) -> Document:
    """Every listing page (days, weeks, months) and the newest papers' pages."""
    base_url = base_url.rstrip("/")
    days: list[date] = sorted(
        session.scalars(select(PaperFeature.featured_on).distinct()), reverse=True
    )
    paths = ["/papers"]
    seen: set[str] = set()
    for day in days:
        for kind in _KINDS:
            path = period_of(kind, day).path
            if path not in seen:
                seen.add(path)
                paths.append(path)
    room = max(SITEMAP_URLS - len(paths), 0)
    newest = session.execute(
        select(Paper.arxiv_id, Paper.updated_at).order_by(Paper.id.desc()).limit(room)
    ).all()
    ET.register_namespace("", SITEMAP)
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for path in paths:
        ET.SubElement(ET.SubElement(urlset, f"{{{SITEMAP}}}url"), f"{{{SITEMAP}}}loc").text = (
            base_url + path
        )
    for arxiv_id, updated in newest:
        url = ET.SubElement(urlset, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = xml_text(base_url + paper_path(arxiv_id))
        ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = _utc(updated)
    body = ET.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return Document(body, None)
