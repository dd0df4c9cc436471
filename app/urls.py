"""URLs from outside are data until proven safe: the one check every link passes.

``safe_http_url`` is applied where a URL enters (ingest) and again where it is
rendered (digests, the public pages, the admin), so a row stored before the
check existed, or written by hand, still never becomes a ``javascript:`` link.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f-\x9f\\<>\"'`]")


# The common case, accepted without parsing: http(s), a host of letters, digits,
# hyphens and dots (no user, no port), then nothing or a path, query or fragment
# without "@". Anything else is parsed below; a day's page checks some 200 URLs.
_PLAIN_HTTP_URL = re.compile(
    r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?:[/?#][^@]*)?", re.ASCII | re.IGNORECASE
)


def safe_http_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and no credentials, else None.

    Refused: other schemes (``javascript:``, ``data:``, ``vbscript:``), scheme-relative
    ``//host`` and relative paths, user:password@, whitespace, control characters,
    quotes and backslashes anywhere, and anything longer than ``MAX_URL_LENGTH``.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        return None
    if _UNSAFE_CHARACTERS.search(value):
        return None
    if _PLAIN_HTTP_URL.fullmatch(value):
        return value
    return _parsed_http_url(value)


def _parsed_http_url(value: str) -> str | None:
    """The whole check on a URL free of unsafe characters, by ``urlsplit``."""
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return None
    del port
    if parts.scheme.lower() not in ("http", "https"):
        return None
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    if "@" in parts.netloc:
        return None
    return value
