"""Compose a digest as a MIME message (multipart/alternative) ready for SMTP.

The message is serialised by hand (headers, two quoted-printable parts spliced
from pieces encoded once per edition, see ``pieces``) rather than through
``email.generator``: it is the same RFC 5322 / 2045 output for our
fixed shape, about twenty times faster, which matters at 100,000 messages. Tests
parse every message back with the standard library.

Headers: From, To, Subject (RFC 2047 when not ASCII), Date, Message-ID on our
domain, List-Id, List-Unsubscribe (the HTTPS one-click URL only: no mailto, since nothing reads
that mailbox), RFC 8058's
List-Unsubscribe-Post, Precedence: bulk. With a DKIM key configured the message
is signed (dkimpy) over these headers, both List-Unsubscribe ones included.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate
from functools import cached_property, lru_cache
from pathlib import Path

from app.config import Settings
from app.mailer.addresses import ascii_domain_address
from app.mailer.pieces import EncodedBody
from app.mailer.render import RenderedDigest

DKIM_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)


@dataclass(frozen=True)
class ComposedMessage:
    """A message in pieces, joined when asked: as stored (``data``) or as SMTP's DATA
    content (``smtp_data``: every line-leading dot doubled, without the final dot)."""

    sender: str  # envelope sender (Return-Path)
    recipient: str
    message_id: str
    parts: Sequence[bytes | EncodedBody]  # no line of the bytes starts with a dot

    @cached_property
    def data(self) -> bytes:
        return b"".join([p if isinstance(p, bytes) else p.plain() for p in self.parts])

    @cached_property
    def smtp_data(self) -> bytes:
        return b"".join([p if isinstance(p, bytes) else p.stuffed() for p in self.parts])


class DkimSigner:
    """Signs serialised messages with the configured key (loaded once)."""

    def __init__(self, key_path: Path, selector: str, domain: str) -> None:
        self.private_key = key_path.read_bytes()
        self.selector = selector.encode()
        self.domain = domain.encode()

    def signature(self, data: bytes) -> bytes:
        """The DKIM-Signature header field for ``data`` (no line of it starts with a dot)."""
        import dkim

        signature: bytes = dkim.sign(
            data,
            self.selector,
            self.domain,
            self.private_key,
            include_headers=list(DKIM_HEADERS),
        )
        return signature


class Composer:
    """Builds digest messages for one sender configuration."""

    def __init__(self, settings: Settings) -> None:
        self.from_header = _header_value("From", settings.from_address)
        self.sender = _bare_address(settings.bounce_address or settings.from_address)
        self.domain = settings.mail_domain
        self.list_id = _header_value("List-Id", settings.list_id)
        self.dkim = (
            DkimSigner(settings.dkim_private_key_path, settings.dkim_selector, self.domain)
            if settings.dkim_private_key_path
            else None
        )

    def message_id(self, delivery_id: int) -> str:
        return f"<digest.{delivery_id}.{secrets.token_hex(6)}@{self.domain}>"

    def compose(
        self,
        digest: RenderedDigest,
        *,
        to: str,
        unsubscribe_url: str,
        message_id: str,
    ) -> ComposedMessage:
        """The digest as a message to ``to``, an address as stored (Unicode domain allowed).

        The recipient goes through ``ascii_domain_address`` here, for every caller (the
        send loop, the admin's test send), in To: and on the envelope alike: an
        internationalised domain as IDNA, never raw UTF-8 or encoded words, and no
        character that could end the header. Raises ``UnsendableAddress`` otherwise.
        """
        to = ascii_domain_address(to)
        boundary = f"=_paperboy_{secrets.token_hex(12)}"
        headers = [
            f"From: {self.from_header}",
            f"To: {to}",
            f"Subject: {_header_value('Subject', digest.subject)}",
            f"Date: {formatdate(usegmt=True)}",
            f"Message-ID: {message_id}",
            f"List-Id: {self.list_id}",
            f"List-Unsubscribe: <{unsubscribe_url}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            "Precedence: bulk",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
        ]
        # No header, boundary or part header line starts with a dot: only bodies differ.
        head = "\r\n".join(headers).encode("utf-8") + (
            b"\r\n\r\nThis is a multipart message in MIME format.\r\n\r\n--%s\r\n%s"
            % (boundary.encode(), _TEXT_PART)
        )
        middle = b"\r\n--%s\r\n%s" % (boundary.encode(), _HTML_PART)
        tail = b"\r\n--%s--\r\n" % boundary.encode()
        parts: list[bytes | EncodedBody] = [
            head,
            EncodedBody(digest.text_pieces or [digest.text]),
            middle,
            EncodedBody(digest.html_pieces or [digest.html]),
            tail,
        ]
        message = ComposedMessage(self.sender, to, message_id, parts)
        if self.dkim is None:
            return message
        signature = self.dkim.signature(message.data)  # folded header lines
        return ComposedMessage(self.sender, to, message_id, [signature, *parts])


def _part_headers(content_type: str) -> bytes:
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode()


_TEXT_PART = _part_headers("text/plain")
_HTML_PART = _part_headers("text/html")


# RFC 2047 "Q" encoding: what may stay as it is inside an encoded word.
_Q_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")
_Q_BYTE = ["_" if b == 0x20 else chr(b) if b in _Q_SAFE else f"={b:02X}" for b in range(256)]


def _encoded_words(value: str) -> str:
    """``value`` as RFC 2047 Q encoded words of at most 75 characters, never splitting a
    character (email.header does the same about fifty times slower)."""
    words: list[str] = []
    current = ""
    for char in value:
        piece = "".join(_Q_BYTE[b] for b in char.encode("utf-8"))
        if len(current) + len(piece) > 75 - 12:
            words.append(current)
            current = ""
        current += piece
    words.append(current)
    return "\r\n ".join(f"=?utf-8?q?{word}?=" for word in words)


@lru_cache(maxsize=4096)
def _subject_words(subject: str) -> str:
    # Readers with the same interests share a subject: encode each one once.
    return _encoded_words(subject)


def _header_value(name: str, value: str) -> str:
    """``value`` as it may appear in a header: RFC 2047 encoded words when not ASCII."""
    if value.isascii() and len(value) + len(name) + 2 <= 78:
        return value
    if value.isascii():
        return Header(value, header_name=name).encode(linesep="\r\n")
    if name == "Subject":
        return _subject_words(value)
    if name in ("From", "List-Id") and "<" in value:
        # Only the display name may be encoded; the address stays as it is.
        display, _, address = value.rpartition("<")
        encoded = Header(display.strip(), "utf-8", header_name=name).encode(linesep="\r\n")
        return f"{encoded} <{address}"
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def _bare_address(address: str) -> str:
    return address.rsplit("<", 1)[-1].rstrip(">").strip()
