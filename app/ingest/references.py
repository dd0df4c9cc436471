"""Which arXiv paper a reference names: an id, an arXiv or Hugging Face link, an arXiv DOI.

Readers bring papers in every shape a reference manager or a browser gives them:
``2511.19827``, ``2511.19827v2``, ``arXiv:hep-th/9901001``,
``https://arxiv.org/pdf/2511.19827v1``, ``https://huggingface.co/papers/2511.19827``,
``10.48550/arXiv.2511.19827``. ``read_reference`` reads one whole reference (a
line a reader typed) and says why when it names no arXiv paper;
``arxiv_id_mentioned`` finds one inside free text (a BibTeX ``journal`` of
"arXiv preprint arXiv:1706.03762", a Zotero "Extra" line). Ids come out as the
rest of Paperboy stores them: validated by ``normalise_arxiv_id``, no version.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from app.ingest.parse import normalise_arxiv_id
from app.urls import MAX_URL_LENGTH, safe_http_url

_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]{0,15}(?:\.[A-Z]{2})?/\d{7}"
_ID = rf"(?P<id>(?:{_NEW_ID}|{_OLD_ID})(?:v\d{{1,3}})?)"

_ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
_HF_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
# /abs/ID, /pdf/ID (.pdf), /html/ID (and the pages under it), any version.
_ARXIV_PATH = re.compile(rf"^/(?:abs|pdf|html)/{_ID}(?:\.pdf)?(?:/.*)?$")
_HF_PATH = re.compile(rf"^/papers/{_ID}/?$")
_ARXIV_DOI = re.compile(rf"^(?:doi:\s*)?10\.48550/arxiv\.{_ID}$", re.IGNORECASE)
_OTHER_DOI = re.compile(r"^(?:doi:\s*)?10\.\d{4,9}/\S+$", re.IGNORECASE)
_BARE_ID = re.compile(rf"^(?:arxiv:\s*)?{_ID}$", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:", re.IGNORECASE)

# Inside free text: "arXiv:2511.19827", "arXiv preprint arXiv:1706.03762", "arXiv 2511.19827".
_MENTION = re.compile(rf"\barxiv[:\s]\s*{_ID}(?![\d.])", re.IGNORECASE)
_MENTIONED_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`]+", re.IGNORECASE)
_MENTIONED_DOI = re.compile(rf"10\.48550/arxiv\.{_ID}", re.IGNORECASE)

MAX_REFERENCE_LENGTH = MAX_URL_LENGTH
EXAMPLE = "an arXiv id like 2511.19827 or hep-th/9901001, or its arXiv or Hugging Face link"


class UnreadableReference(ValueError):
    """A reference that names no arXiv paper; ``str(error)`` says why, for the reader."""


def read_reference(text: str) -> str:
    """The arXiv id ``text`` names (one id, link or DOI); ``UnreadableReference`` otherwise."""
    # NFKC: full-width digits and dots (an East Asian input method's) read as ASCII.
    reference = unicodedata.normalize("NFKC", text).strip().strip("<>").strip()
    if not reference:
        raise UnreadableReference("empty")
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise UnreadableReference("too long to be an arXiv id or link")
    found = _BARE_ID.match(reference) or _ARXIV_DOI.match(reference)
    if found:
        return _valid(found.group("id"))
    if _OTHER_DOI.match(reference):
        raise UnreadableReference("a DOI, but not of an arXiv paper (those start 10.48550/arXiv.)")
    if _SCHEME.match(reference) and not reference.lower().startswith(("http:", "https:")):
        raise UnreadableReference("not a web link (only http and https links are read)")
    if "://" in reference:
        return _from_url(reference)
    raise UnreadableReference(f"not {EXAMPLE}")


def arxiv_id_mentioned(text: str) -> str | None:
    """The first arXiv paper named inside free text (an id after "arXiv", a link, a DOI)."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text[: MAX_REFERENCE_LENGTH * 4])
    for finder in (_MENTIONED_DOI, _MENTION):
        found = finder.search(text)
        if found:
            arxiv_id = normalise_arxiv_id(found.group("id"))
            if arxiv_id:
                return arxiv_id
    for url in _MENTIONED_URL.findall(text):
        try:
            return _from_url(url.rstrip(".,;)"))
        except UnreadableReference:
            continue
    return None


def _from_url(url: str) -> str:
    if safe_http_url(url) is None:
        raise UnreadableReference("not a link we can read (only plain http and https links)")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = unquote(parts.path)
    pattern = _ARXIV_PATH if host in _ARXIV_HOSTS else _HF_PATH if host in _HF_HOSTS else None
    if pattern is not None:
        found = pattern.match(path)
        if found:
            return _valid(found.group("id"))
        raise UnreadableReference("a link to that site, but not to one paper's page")
    if host in _DOI_HOSTS:
        found = _ARXIV_DOI.match(path.lstrip("/"))
        if found:
            return _valid(found.group("id"))
        raise UnreadableReference("a DOI, but not of an arXiv paper (those start 10.48550/arXiv.)")
    raise UnreadableReference("a link, but not to an arXiv or Hugging Face paper page")


def _valid(raw: str) -> str:
    arxiv_id = normalise_arxiv_id(raw)
    if arxiv_id is None:
        raise UnreadableReference(f"not {EXAMPLE}")
    return arxiv_id
