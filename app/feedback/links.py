"""Signed click redirects and open-tracking tokens in a digest.

A click link is ``BASE_URL/c/{token}``; the token names a delivery (signed with
HMAC-SHA256 truncated to 96 bits, one signature per message: 40 links a digest
make per-link signatures the costliest part of rendering), the position of a
paper in that delivery's digest and the kind of link (paper page, PDF, code,
project page). It carries no URL: ``GET /c/{token}`` looks the destination up in
what was recorded for that delivery, so an altered token can at most open
another link of the same digest, never anywhere else (no open redirect).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

KIND_CODES = {"paper": "p", "pdf": "f", "code": "c", "project": "w"}
KINDS_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}
_SIGNATURE_BYTES = 12


@dataclass(frozen=True)
class ClickTarget:
    """What a valid click token points at (the URL itself is looked up)."""

    delivery_id: int
    item: int
    kind: str


class ClickLinks:
    """Signs and verifies click tokens with a key derived from the secret key."""

    def __init__(self, secret_key: str, base_url: str) -> None:
        self._key = hashlib.sha256(b"paperboy.click-link\x00" + secret_key.encode()).digest()
        self._base = f"{base_url.rstrip('/')}/c/"

    def sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def token(self, delivery_id: int, item: int, kind: str) -> str:
        delivery = f"{delivery_id:x}"
        return f"{delivery}.{item}{KIND_CODES[kind]}.{self.sign(delivery)}"

    def url(self, delivery_id: int, item: int, kind: str) -> str:
        return self._base + self.token(delivery_id, item, kind)

    def url_maker(self, delivery_id: int) -> Callable[[int, str], str]:
        """``url`` for one delivery, signing it once for all of its links."""
        delivery = f"{delivery_id:x}"
        prefix, suffix = f"{self._base}{delivery}.", f".{self.sign(delivery)}"
        return lambda item, kind: f"{prefix}{item}{KIND_CODES[kind]}{suffix}"

    def verify(self, token: str) -> ClickTarget | None:
        """The target of ``token``, or None when it is malformed or not ours."""
        body, _, signature = token.rpartition(".")
        delivery_hex, _, item_kind = body.partition(".")
        if not delivery_hex or not hmac.compare_digest(signature, self.sign(delivery_hex)):
            return None
        try:
            delivery_id = int(delivery_hex, 16)
            item = int(item_kind[:-1])
        except ValueError:
            return None
        kind = KINDS_BY_CODE.get(item_kind[-1:])
        if kind is None or item < 0:
            return None
        return ClickTarget(delivery_id, item, kind)


def open_pixel_url(links: ClickLinks, base_url: str, delivery_id: int) -> str:
    """The 1x1 image that records an open (only used when open tracking is on)."""
    body = f"{delivery_id:x}.o"
    return f"{base_url.rstrip('/')}/o/{body}.{links.sign(body)}.gif"


def verify_open_token(links: ClickLinks, token: str) -> int | None:
    body, _, signature = token.removesuffix(".gif").rpartition(".")
    if not body.endswith(".o") or not hmac.compare_digest(signature, links.sign(body)):
        return None
    try:
        return int(body[:-2], 16)
    except ValueError:
        return None
