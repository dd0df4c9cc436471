"""The embedded mail outbox (``var/outbox/*.eml``): list the messages, read one.

File names come from the URL, so only plain ``*.eml`` names directly inside the
outbox folder are ever opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from app.errors import NotFound

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,200}\.eml$")
HEADER_BYTES = 8192


class MessageNotFound(NotFound):
    """No message with this name in the outbox."""


@dataclass
class OutboxEntry:
    name: str
    modified_at: datetime
    size: int
    subject: str = ""
    to: str = ""


@dataclass
class OutboxMessage:
    entry: OutboxEntry
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str | None = None
    html: str | None = None


def list_outbox(folder: Path, *, limit: int = 50, offset: int = 0) -> tuple[list[OutboxEntry], int]:
    """A page of messages, newest first, with their subject and recipient; and the total."""
    if not folder.is_dir():
        return [], 0
    files = [e for e in folder.iterdir() if e.is_file() and SAFE_NAME.match(e.name)]
    stats = sorted(((f.stat(), f) for f in files), key=lambda pair: pair[0].st_mtime, reverse=True)
    entries = []
    for stat, path in stats[offset : offset + limit]:
        entry = OutboxEntry(path.name, datetime.fromtimestamp(stat.st_mtime, UTC), stat.st_size)
        with path.open("rb") as handle:
            # Only the head: enough for Subject and To without reading whole messages.
            head = handle.read(HEADER_BYTES).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        parsed = BytesParser(policy=policy.default).parsebytes(head + b"\n\n", headersonly=True)
        entry.subject = str(parsed.get("Subject", ""))
        entry.to = str(parsed.get("To", ""))
        entries.append(entry)
    return entries, len(files)


def read_message(folder: Path, name: str) -> OutboxMessage:
    """One message: its headers, text part and HTML part."""
    if not SAFE_NAME.match(name):
        raise MessageNotFound(name)
    path = folder / name
    if not path.is_file():
        raise MessageNotFound(name)
    stat = path.stat()
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    entry = OutboxEntry(
        name,
        datetime.fromtimestamp(stat.st_mtime, UTC),
        stat.st_size,
        str(message.get("Subject", "")),
        str(message.get("To", "")),
    )
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return OutboxMessage(
        entry,
        [(key, str(value)) for key, value in message.items()],
        text_part.get_content() if text_part is not None else None,
        html_part.get_content() if html_part is not None else None,
    )
