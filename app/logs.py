"""Logging for every Paperboy process: plain lines, or JSON lines for machines.

``PAPERBOY_LOG_FORMAT=json`` makes each record one JSON object with ``level``,
``logger``, ``message``, ``time`` and, where they exist, the ids of what is being
worked on. Code says what it works on with ``log_context``::

    with log_context(edition_id=edition.id):
        ...  # every record logged in here (this thread or task) carries edition_id

The ids live in a context variable, so concurrent requests and tasks keep theirs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Literal, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]
# The ids a record may carry (DESIGN.md's contract: request, edition, delivery).
CONTEXT_FIELDS = ("request_id", "edition_id", "delivery_id")

# An immutable mapping: log_context replaces it, never changes it in place.
_context: ContextVar[Mapping[str, str | int]] = ContextVar(
    "paperboy_log_context", default=MappingProxyType({})
)


@contextmanager
def log_context(**ids: str | int | None) -> Iterator[None]:
    """Attach ``ids`` (``request_id``, ``edition_id``, ``delivery_id``) to records logged inside."""
    unknown = set(ids) - set(CONTEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown log context fields: {sorted(unknown)}")
    token = _context.set({**_context.get(), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind_log_context(**ids: str | int) -> None:
    """Add ``ids`` to the current context until the enclosing ``log_context`` ends.

    For a caller that learns an id half-way (``paperboy send`` learns its edition's id
    from the first progress report).
    """
    _context.set({**_context.get(), **ids})


def current_log_context() -> dict[str, str | int]:
    return dict(_context.get())


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            setattr(record, name, value)
        return True


class _TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [edition_id=3 ...]``."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if hasattr(record, name)
        )
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{ids}]{newline}{rest}"


def _formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            # uvicorn adds a copy of its message with terminal colours: not for machines.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )
    return _TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (a progress bar may have wrapped it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_logging(log_format: LogFormat = "text", level: str | int = "INFO") -> None:
    """Send every record (uvicorn's and Celery's included) to stderr in ``log_format``."""
    handler = _StderrHandler()
    handler.addFilter(_ContextFilter())
    handler.setFormatter(_formatter(log_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own config gives its loggers their own text handlers: one format for all.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
