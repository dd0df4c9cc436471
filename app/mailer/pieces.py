"""Literal pieces of an edition's digests, quoted-printable encoded once per edition.

A digest is the same literal HTML and text for every reader with a few
per-reader values in between (reasons, tracked links, the unsubscribe URL).
The renderer marks the literals as ``Static`` strings that carry their
quoted-printable encoding, computed once when the edition is prepared; the
composer then encodes only the per-reader values and joins everything with
soft line breaks (``=`` CRLF), which a decoder removes: the decoded body is
exactly the concatenation of the pieces, and 100,000 messages no longer
re-encode the same 40 KB of HTML each.

Each encoded piece is also kept dot-stuffed (RFC 5321 4.5.2: a line that
starts with a dot gets a second one), the form SMTP's DATA needs: every piece
starts a line of its own, so stuffing the pieces one by one stuffs the whole
body, and a send never scans 40 KB per message for line-leading dots. A
per-reader value that is already quoted-printable as it stands (a tracked link:
printable ASCII without ``=``, short enough for one line) is used as it is.

``SlotTemplate`` is how the renderer gets there: a template rendered once per
edition with ``SlotMarkers`` where per-reader values go, cut into ``Static``
literals around those slots.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping, Sequence

from markupsafe import Markup

SOFT_BREAK = b"=\r\n"


def quoted_printable(text: str) -> bytes:
    """``text`` with CRLF line ends, quoted-printable (RFC 2045) encoded."""
    if "\n" in text:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return binascii.b2a_qp(text.encode("utf-8"), istext=True)
    # Without a line end to copy, b2a_qp breaks long lines with a bare LF.
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def dot_stuffed(encoded: bytes) -> bytes:
    """``encoded`` (CRLF lines) with a dot doubled at the start of every line."""
    stuffed = encoded.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


class Static(str):
    """A literal piece shared by every reader's digest, with its encodings kept."""

    qp: bytes
    qp_stuffed: bytes

    def __new__(cls, value: str) -> Static:
        piece = super().__new__(cls, value)
        piece.qp = quoted_printable(value)
        piece.qp_stuffed = dot_stuffed(piece.qp)
        return piece


def encode_pieces(pieces: Sequence[str], *, smtp: bool = False) -> bytes:
    """The quoted-printable body of ``"".join(pieces)``, reusing each ``Static``'s encoding
    (dot-stuffed for SMTP's DATA with ``smtp``)."""
    body = EncodedBody(pieces)
    return body.stuffed() if smtp else body.plain()


class EncodedBody:
    """A body's pieces with the per-reader ones encoded; joined on demand, plain or stuffed.

    The per-reader pieces that need encoding are encoded together in one call,
    separated by NUL (``=00`` once encoded, and nothing else encodes to it), then
    split apart: each keeps lines within the limit, because a piece starts a line
    of its own here and its last line had room for the ``=00`` that followed it.
    """

    def __init__(self, pieces: Sequence[str]) -> None:
        self.pieces = pieces
        dynamic = [p for p in pieces if type(p) is not Static]
        as_is = [_as_is(p) for p in dynamic]
        to_encode = [p for p, raw in zip(dynamic, as_is, strict=True) if raw is None]
        joined = _SEPARATOR.join(to_encode)
        if joined.count(_SEPARATOR) != len(to_encode) - 1:
            # A NUL inside a value (never in our digests): encode piece by piece.
            encoded = iter([quoted_printable(p) for p in to_encode])
        else:
            encoded = iter(quoted_printable(joined).split(b"=00"))
        self.dynamic = [next(encoded) if raw is None else raw for raw in as_is]

    def plain(self) -> bytes:
        dynamic = iter(self.dynamic)
        return SOFT_BREAK.join([p.qp if type(p) is Static else next(dynamic) for p in self.pieces])

    def stuffed(self) -> bytes:
        """The body as SMTP's DATA carries it (RFC 5321 4.5.2)."""
        # NUL appears in no encoded piece: stuff them all at once, each starting a line.
        joined = b"\x00" + b"\x00".join(self.dynamic)
        dynamic = iter(joined.replace(b"\n.", b"\n..").replace(b"\x00.", b"\x00..").split(b"\x00"))
        next(dynamic)
        return SOFT_BREAK.join(
            [p.qp_stuffed if type(p) is Static else next(dynamic) for p in self.pieces]
        )


_SEPARATOR = "\x00"
_AS_IS_BYTES = bytes(b for b in range(0x20, 0x7F) if b != ord("="))


def _as_is(piece: str) -> bytes | None:
    """``piece`` when it is quoted-printable as it stands, on one line before a soft break
    (printable ASCII but ``=``, not ending in a space), else None."""
    if len(piece) < 76 and piece.isascii():
        raw = piece.encode()
        if not raw.translate(None, _AS_IS_BYTES) and not raw.endswith(b" "):
            return raw
    return None


class SlotTemplate:
    """Literal pieces (``Static``, encoded once) with named slots between them."""

    def __init__(self, rendered: str, pattern: re.Pattern[str]) -> None:
        pieces = pattern.split(rendered)
        self.literals = [Static(piece) for piece in pieces[0::2]]
        self.slots = pieces[1::2]
        self.pairs = list(zip(self.slots, self.literals[1:], strict=True))

    def fill_into(self, out: list[str], values: Mapping[str, str | list[str]]) -> None:
        """Append the literals and ``values`` (a list value is spliced in) to ``out``."""
        append = out.append
        append(self.literals[0])
        for slot, literal in self.pairs:
            value = values[slot]
            if type(value) is list:
                out.extend(value)
            else:
                append(value)  # type: ignore[arg-type]
            append(literal)


class SlotMarkers:
    """``slots.name`` in a template renders the marker of slot ``name``."""

    def __init__(self, nonce: str) -> None:
        self._nonce = nonce

    def __getattr__(self, name: str) -> Markup:
        # The nonce is ours and ``name`` comes from our own templates.
        return Markup(f"@@{self._nonce}:{name}@@")  # noqa: S704

    def __getitem__(self, name: str) -> Markup:
        return self.__getattr__(name)
