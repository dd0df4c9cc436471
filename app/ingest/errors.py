"""The ingest's exceptions, one tree so callers can catch what they can act on.

IngestError
├── DumpFileError     a saved API response cannot be read or parsed as a whole
└── FetchError        a source could not be fetched (after retries, within the time budget)
    └── SourceUnreachable   no connection at all (DNS, refused, no network): fail fast
"""

from __future__ import annotations

from app.errors import PaperboyError


class IngestError(PaperboyError):
    """Base of every error the ingest raises on purpose."""

    error_code = "ingest_failed"


class DumpFileError(IngestError):
    """A saved API response cannot be read or parsed as a whole."""


class FetchError(IngestError):
    """A source could not be fetched; the message names the URL and the cause."""

    status_code = 502


class SourceUnreachable(FetchError):
    """The source's host cannot be reached at all (no network, DNS failure, refused)."""
