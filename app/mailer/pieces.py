"""Literal pieces of an edition's digests, quoted-printable encoded once per edition.

A digest is the same literal HTML and text for every reader with a few
per-reader values in between (reasons, tracked links, the unsubscribe URL).
The renderer marks the literals as ``Static`` strings that carry their
quoted-printable encoding, computed once when the edition is prepared; the
composer then encodes only the per-reader values and joins everything with
soft line breaks (``=`` CRLF), which a decoder removes: the decoded body is
exactly the concatenation of the pieces, and 100,000 messages no longer
re-encode the same 40 KB of HTML each.

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


class Static(str):
    """A literal piece shared by every reader's digest, with its encoding kept."""

    qp: bytes

    def __new__(cls, value: str) -> Static:
        piece = super().__new__(cls, value)
        piece.qp = quoted_printable(value)
        return piece


def encode_pieces(pieces: Sequence[str]) -> bytes:
    """The quoted-printable body of ``"".join(pieces)``, reusing each ``Static``'s encoding.

    The per-reader pieces are encoded together in one call, separated by NUL
    (``=00`` once encoded, and nothing else encodes to it), then split apart:
    each keeps lines within the limit, because a piece starts a line of its own
    here and its last line had room for the ``=00`` that followed it.
    """
    dynamic = [p for p in pieces if type(p) is not Static]
    joined = _SEPARATOR.join(dynamic)
    if joined.count(_SEPARATOR) != len(dynamic) - 1:
        # A NUL inside a value (never in our digests): encode piece by piece.
        return SOFT_BREAK.join([_encoded(p) for p in pieces])
    encoded = iter(quoted_printable(joined).split(b"=00"))
    return SOFT_BREAK.join([p.qp if type(p) is Static else next(encoded) for p in pieces])


_SEPARATOR = "\x00"


def _encoded(piece: str) -> bytes:
    return piece.qp if type(piece) is Static else quoted_printable(piece)


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
