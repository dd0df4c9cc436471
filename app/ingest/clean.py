"""Bounds for data from outside: what one item may put into a paper's row.

A source is free to send anything: a count of ``10**30``, a NUL in a title, a
megabyte of abstract, a ``javascript:`` project page. None of it may fail the
batch it arrived in. Counts are clamped to the column, control and invisible
formatting characters removed, long text cut (with a note the run keeps), and
outside URLs kept only when ``app.urls.safe_http_url`` accepts them and they fit
their column. A value of the wrong type is dropped, with a note.
"""

from __future__ import annotations

import re
import unicodedata

from app.urls import safe_http_url

# The paper's Integer columns are 32-bit on PostgreSQL.
COUNT_MAX = 2**31 - 1
# arXiv itself caps abstracts at 1,920 characters and titles far below 1,000.
TITLE_MAX = 1_000
ABSTRACT_MAX = 10_000
SUMMARY_MAX = 4_000
NAME_MAX = 200  # the organization column is String(200); an author's name alike
KEYWORD_MAX = 100
AUTHORS_MAX = 3_000  # the largest collaborations sign with a few thousand names
KEYWORDS_MAX = 50
URL_COLUMN_MAX = 500  # github_repo, project_page, thumbnail, pdf_url are String(500)

# C0 and C1 controls but those ``\s`` matches (tab, line breaks, \x1c-\x1f, NEL: they
# become spaces), lone surrogates (valid in JSON, unencodable in UTF-8), non-characters;
# and the invisible characters that can only hide or reorder what is shown: zero-width
# space, word joiner, byte-order mark, and the bidi embeddings, overrides and isolates
# (an override in an author's name reverses the date and counts after it). ZWJ and ZWNJ
# stay: Persian and Indic names and emoji need them.
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff"
    "\u200b\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_WHITESPACE_RE = re.compile(r"\s+")


def normalise_text(text: str | None) -> str:
    """Control characters removed; line breaks and runs of whitespace become single spaces."""
    return _WHITESPACE_RE.sub(" ", _CONTROL_RE.sub("", text or "")).strip()


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: a letter, digit, mark, sign or punctuation
    (a title of joiners and spaces alone is no title)."""
    return any(unicodedata.category(c)[0] not in "CZ" for c in text)


def clamp_count(value: int | None) -> int:
    """A count as the column can hold it: never negative, never past a 32-bit integer."""
    return min(max(value or 0, 0), COUNT_MAX)


def bounded_text(text: str | None, limit: int, what: str, notes: list[str]) -> str:
    """``normalise_text(text)``, cut to ``limit`` characters with a note when longer."""
    clean = normalise_text(text)
    if len(clean) <= limit:
        return clean
    notes.append(f"{what} cut to {limit} characters (was {len(clean)})")
    return clean[: limit - 1].rstrip() + "…"


def outside_url(value: str | None, what: str, notes: list[str]) -> str | None:
    """A URL from a source if it is safe and fits its column; else None, with a note."""
    candidate = (value or "").strip()
    if not candidate:
        return None
    if safe_http_url(candidate) is None:
        notes.append(f"{what} dropped: not an absolute http(s) URL")
        return None
    if len(candidate) > URL_COLUMN_MAX:
        notes.append(f"{what} dropped: longer than {URL_COLUMN_MAX} characters")
        return None
    return candidate
