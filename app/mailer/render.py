"""Render a digest: subject, HTML (CSS inlined) and a real plain-text rendering.

The work is split so that 100,000 digests cost little more than string joins:

- ``DigestRenderer`` is built once per edition. It renders the page shell and one
  card per candidate paper from ``templates/email/*.html`` with Jinja2, inlines
  the CSS with css-inline (once for the shell, once per card), and cuts the
  result into literal pieces around *slots*: the per-reader values (greeting,
  reasons, tracked links, unsubscribe URL ...). Slot markers carry a random
  nonce, so no paper title can forge one.
- The text part (``digest.txt``, ``paper.txt``) is rendered and cut the same way.
- ``DigestRenderer.render`` fills the slots for one reader (every HTML value
  escaped) and returns the bodies both joined and as pieces whose literals are
  ``Static`` (quoted-printable encoded once per edition, see ``pieces``).

Sending and the admin preview both go through ``DigestRenderer.render``.
"""

from __future__ import annotations

import re
import secrets
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from html import escape
from typing import Literal

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from app.mailer.pieces import SlotMarkers, SlotTemplate, Static
from app.resources import email_templates_dir

GMAIL_CLIP_BYTES = 102 * 1024
AUTHORS_SHOWN = 3
KEYWORDS_SHOWN = 3
KEYWORD_CHARS = 32
SUMMARY_CHARS = 280
LINK_LABELS = {"paper": "Paper page", "pdf": "PDF", "code": "Code", "project": "Project page"}

Section = Literal["picks", "trending"]
# (item index in the digest, link kind) -> the URL the reader's mail client gets; the kinds
# are a paper's link kinds ("paper", "pdf", "code", "project") and "more" / "fewer" (its
# "More like this" / "Fewer like this" feedback links).
LinkBuilder = Callable[[int, str], str]


@dataclass(frozen=True)
class PaperView:
    """What a digest shows of one paper (the same for every reader)."""

    arxiv_id: str
    title: str
    authors_line: str
    organization: str | None
    upvotes: int
    stars_label: str | None
    summary: str
    summary_wrapped: str
    links: dict[str, str]  # kind -> the real destination (paper page, pdf, code, project)
    # The rest of the card's one line of metadata, and two plain links (the same for
    # every reader, so never tracked: they cost nothing per message).
    published_label: str | None = None  # "26 Nov 2025"
    comments: int = 0
    keywords: tuple[str, ...] = ()
    abstract_url: str | None = None  # the arXiv abstract page
    more_url: str | None = None  # the paper's page on our site: the whole abstract and more

    @property
    def link_labels(self) -> list[tuple[str, str]]:
        return [(kind, LINK_LABELS[kind]) for kind in LINK_LABELS if kind in self.links]

    @property
    def meta_items(self) -> list[str]:
        """The card's metadata line, item by item (joined with a middle dot)."""
        items = [self.authors_line]
        if self.organization:
            items.append(self.organization)
        if self.published_label:
            items.append(self.published_label)
        items.append(f"{self.upvotes} upvote{'' if self.upvotes == 1 else 's'}")
        if self.comments:
            items.append(f"{self.comments} comment{'' if self.comments == 1 else 's'}")
        if self.stars_label:
            items.append(f"{self.stars_label} GitHub stars")
        if self.keywords:
            items.append(", ".join(self.keywords))
        return items


def keywords_shown(keywords: Sequence[str]) -> tuple[str, ...]:
    """A few of the paper's AI keywords, each short, none twice."""
    shown: dict[str, None] = {}
    for keyword in keywords:
        word = " ".join(str(keyword).split())
        if len(word) > KEYWORD_CHARS:
            word = word[:KEYWORD_CHARS].rsplit(" ", 1)[0] + "…"
        if word and word.lower() not in {k.lower() for k in shown}:
            shown[word] = None
        if len(shown) == KEYWORDS_SHOWN:
            break
    return tuple(shown)


@dataclass(frozen=True)
class DigestItem:
    """One paper in one reader's digest, with the reason it is there."""

    arxiv_id: str
    why: str
    section: Section


@dataclass(frozen=True)
class Reader:
    """The per-reader facts the digest mentions."""

    email: str
    manage_url: str
    unsubscribe_url: str
    interests: Sequence[str] = ()  # the phrases and topics they gave us, in order
    weekly: bool = False
    trending_fallback: bool = False  # the ranker had nothing personal for them
    open_pixel_url: str | None = None
    view_url: str = "#"  # this digest on the web ("View in browser")
    feed_url: str = "#"  # the reader's personal Atom feed


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    html: str
    text: str
    # The same bodies as pieces (``html == "".join(html_pieces)``), literals marked
    # ``Static``, so the composer encodes only what differs per reader; may be empty.
    html_pieces: Sequence[str] = ()
    text_pieces: Sequence[str] = ()


def authors_line(authors: Sequence[str]) -> str:
    if not authors:
        return "Authors not listed"
    shown = ", ".join(authors[:AUTHORS_SHOWN])
    return f"{shown} et al." if len(authors) > AUTHORS_SHOWN else shown


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def summarise(text: str, limit: int = SUMMARY_CHARS) -> str:
    """Whole sentences up to ``limit`` characters (a long first one is cut at a word)."""
    text = " ".join(text.split())
    summary = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{summary} {sentence}".strip()
        if summary and len(candidate) > limit:
            break
        summary = candidate
        if len(summary) >= limit * 0.6:
            break
    if len(summary) > limit:
        summary = summary[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return summary


def stars_label(stars: int | None) -> str | None:
    if not stars:
        return None
    return f"{stars / 1000:.1f}k".replace(".0k", "k") if stars >= 1000 else str(stars)


def paper_date(day: date) -> str:
    """``26 Nov 2025``: when a paper was published."""
    return f"{day.day} {day:%b} {day.year}"


def short_date(day: date) -> str:
    """``Thu 27 Nov``."""
    return f"{day:%a} {day.day} {day:%b}"


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def digest_subject(
    reader: Reader, items: Sequence[DigestItem], titles: dict[str, str], day: date
) -> str:
    """Say what is inside: how many papers, for which interests, which day."""
    picks = [item for item in items if item.section == "picks"] or list(items)
    count = len(items)  # every paper inside, picks and trending alike
    noun = "paper" if count == 1 else "papers"
    if reader.trending_fallback or not reader.interests:
        lead = _clip(titles.get(picks[0].arxiv_id, ""), 48) if picks else ""
        about = f": {lead}" + (" and more" if count > 1 else "") if lead else ""
        return f"{count} trending {noun}{about} — {short_date(day)}"
    haystack = " ".join(f"{item.why} {titles.get(item.arxiv_id, '')}" for item in picks).lower()
    covered = [phrase for phrase in reader.interests if phrase.lower() in haystack][:2]
    about = ", ".join(covered) if covered else _clip(titles.get(picks[0].arxiv_id, ""), 48)
    return f"{count} {noun} for you: {about} — {short_date(day)}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # One environment for the process: Jinja compiles each template once, not once per
    # renderer (every edition, admin preview and /sample page builds a renderer).
    return Environment(
        loader=FileSystemLoader(email_templates_dir()),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class DigestRenderer:
    """Renders every reader's digest for one edition (build once, render many)."""

    def __init__(
        self,
        papers: Sequence[PaperView],
        *,
        edition_date: date,
        postal_address: str,
        day_url: str | None = None,
        day: date | None = None,
    ) -> None:
        """``day_url``: the site's page of ``day`` (the trending papers' featured day),
        linked under the digest's trending section; handed in, like every URL here."""
        self.edition_date = edition_date
        self.papers = {paper.arxiv_id: paper for paper in papers}
        self._titles = {paper.arxiv_id: paper.title for paper in papers}
        # Reasons repeat across readers (the ranker builds each sentence once): escape once.
        self._why_html: dict[str, str] = {}
        nonce = secrets.token_hex(8)
        pattern = re.compile(rf"@@{nonce}:(\w+)@@")
        slots = SlotMarkers(nonce)
        env = _environment()
        css = (email_templates_dir() / "digest.css").read_text()
        context = {"long_date": long_date(edition_date), "postal_address": postal_address}
        shell = env.get_template("digest.html").render(
            title=f"Paperboy — {short_date(edition_date)}",
            css=Markup(css),  # noqa: S704 - our own stylesheet
            slots=slots,
            **context,
        )
        inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        self._shell = SlotTemplate(inliner.inline(shell), pattern)
        card = env.get_template("paper.html")
        self._cards = {
            paper.arxiv_id: SlotTemplate(
                css_inline.inline_fragment(card.render(paper=paper, slots=slots), css), pattern
            )
            for paper in papers
        }
        section = env.get_template("section.html")
        day_link = _day_link(day_url, day or edition_date)
        # Each heading twice: plain, and with the day's page under it (the trending section).
        self._headings = {
            (heading, linked): Static(
                css_inline.inline_fragment(
                    section.render(heading=heading, day_link=day_link if linked else None), css
                )
            )
            for heading in _HEADINGS.values()
            for linked in (False, True)
        }
        # The text part is cut into slots the same way: Jinja runs per edition, not per reader.
        self._text = SlotTemplate(
            env.get_template("digest.txt").render(slots=slots, **context), pattern
        )
        text_card = env.get_template("paper.txt")
        self._text_cards = {
            paper.arxiv_id: SlotTemplate(text_card.render(paper=paper, slots=slots), pattern)
            for paper in papers
        }
        self._text_headings = {
            (heading, linked): Static(
                f"\n\n{heading.upper()}\n{'=' * len(heading)}\n"
                + (f"{day_link[0]}: {day_link[1]}\n" if linked and day_link else "")
            )
            for heading in _HEADINGS.values()
            for linked in (False, True)
        }

    def render(
        self, reader: Reader, items: Sequence[DigestItem], link_for: LinkBuilder
    ) -> RenderedDigest:
        """One reader's digest; ``items`` must be papers this renderer was built with."""
        subject = digest_subject(reader, items, self._titles, self.edition_date)
        intro = _intro(reader, items)
        html_sections: list[str] = []
        text_sections: list[str] = []
        linked = False
        for heading, entries in _group(reader, items):
            # The first section of trending papers links the day's page, once per digest.
            link_here = not linked and heading in _TRENDING_HEADINGS
            linked = linked or link_here
            html_sections.append(self._headings[heading, link_here])
            text_sections.append(self._text_headings[heading, link_here])
            for index, item in entries:
                paper = self.papers[item.arxiv_id]
                links = {f"href_{kind}": link_for(index, kind) for kind in paper.links}
                links["more_url"] = link_for(index, "more")
                links["fewer_url"] = link_for(index, "fewer")
                self._text_cards[item.arxiv_id].fill_into(text_sections, {**links, "why": item.why})
                links = {slot: escape(url) for slot, url in links.items()}
                why = self._why_html.get(item.why)
                if why is None:
                    why = self._why_html[item.why] = _emphasis(escape(item.why))
                links["why"] = why
                self._cards[item.arxiv_id].fill_into(html_sections, links)
        frequency_note = " (weekly)" if reader.weekly else ""
        pixel = ""
        if reader.open_pixel_url:
            pixel = (
                f'<img src="{escape(reader.open_pixel_url)}" width="1" height="1" alt="" '
                'style="display:block;border:0;width:1px;height:1px;">'
            )
        html_pieces: list[str] = []
        self._shell.fill_into(
            html_pieces,
            {
                "preheader": escape(_preheader(items, self._titles)),
                "view_url": escape(reader.view_url),
                "intro": escape(intro),
                "sections": html_sections,
                "email": escape(reader.email),
                "frequency_note": escape(frequency_note),
                "manage_url": escape(reader.manage_url),
                "unsubscribe_url": escape(reader.unsubscribe_url),
                "feed_url": escape(reader.feed_url),
                "open_pixel": pixel,
            },
        )
        text_pieces: list[str] = []
        self._text.fill_into(
            text_pieces,
            {
                "intro": _wrapped(intro),
                "view_url": reader.view_url,
                "sections": text_sections,
                "email": reader.email,
                "frequency_note": frequency_note,
                "manage_url": reader.manage_url,
                "unsubscribe_url": reader.unsubscribe_url,
                "feed_url": reader.feed_url,
            },
        )
        return RenderedDigest(
            subject=subject,
            html="".join(html_pieces),
            text="".join(text_pieces),
            html_pieces=html_pieces,
            text_pieces=text_pieces,
        )


@lru_cache(maxsize=64)
def _wrapped(intro: str) -> str:
    # A handful of distinct intros per edition: wrap each once.
    return textwrap.fill(intro, width=72)


_HEADINGS = {
    "picks": "Top picks for you",
    "fallback": "Most upvoted today",
    "trending": "Trending today",
    "more": "More trending papers",
}
# The sections that list the day's trending papers (a reader without interests gets
# them as "Most upvoted today"): the first of them links the day's page on the site.
_TRENDING_HEADINGS = {_HEADINGS["fallback"], _HEADINGS["trending"], _HEADINGS["more"]}


def _day_link(day_url: str | None, day: date) -> tuple[str, str] | None:
    """(label, URL) of the day's page, or None without a URL."""
    if not day_url:
        return None
    return f"All papers of {long_date(day)}", day_url


def _group(
    reader: Reader, items: Sequence[DigestItem]
) -> list[tuple[str, list[tuple[int, DigestItem]]]]:
    general = reader.trending_fallback or not reader.interests
    picks = [(n, item) for n, item in enumerate(items) if item.section == "picks"]
    trending = [(n, item) for n, item in enumerate(items) if item.section == "trending"]
    groups: list[tuple[str, list[tuple[int, DigestItem]]]] = []
    if picks:
        groups.append((_HEADINGS["fallback" if general else "picks"], picks))
    if trending:
        groups.append((_HEADINGS["more" if general else "trending"], trending))
    return groups


_EMPHASIS = re.compile(r"\*([^*]+)\*")


def _emphasis(escaped: str) -> str:
    """The ranker's ``*matched words*`` as <em> in HTML (the text part keeps the stars)."""
    return _EMPHASIS.sub(r"<em>\1</em>", escaped) if "*" in escaped else escaped


def _intro(reader: Reader, items: Sequence[DigestItem]) -> str:
    count = sum(1 for item in items if item.section == "picks")
    if not reader.interests:
        return (
            "You have not told us what you are interested in yet, so these are the most "
            "upvoted papers on Hugging Face Daily Papers. Add a few interests with the link "
            "at the bottom and your next digest will be picked for you."
        )
    if reader.trending_fallback:
        return (
            "Nothing in today's papers matched your interests closely, so these are the "
            "papers trending on Hugging Face Daily Papers."
        )
    return (
        f"Your {count} pick{'s' if count != 1 else ''} from the latest papers, ranked for "
        f"what you told us you care about, each with the reason it is here, then what is "
        "trending."
    )


def _preheader(items: Sequence[DigestItem], titles: dict[str, str]) -> str:
    first = next((titles.get(item.arxiv_id, "") for item in items), "")
    return _clip(first, 90)
