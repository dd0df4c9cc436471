"""Signed click redirects and open-tracking tokens in a digest.

A click link is ``BASE_URL/c/{token}``; the token names a delivery and the
reader's token version (signed with HMAC-SHA256 truncated to 96 bits, one
signature per message: 60 links a digest make per-link signatures the costliest
part of rendering), the position of a paper in that delivery's digest and the
kind of link (paper page, PDF, code, project page, or "More like this" / "Fewer
like this"). It carries no URL: ``GET /c/{token}`` looks the destination up in
what was recorded for that delivery, so an altered token can at most open
another link of the same digest, never anywhere else (no open redirect). The
two feedback kinds lead to the reader's feedback page, and only while the
token version is still the reader's (``revoke_tokens`` ends them). Tokens
signed before the version was added (``{delivery}.{item}{kind}.{signature}``)
still open paper links.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

KIND_CODES = {"paper": "p", "pdf": "f", "code": "c", "project": "w", "more": "m", "fewer": "l"}
FEEDBACK_KINDS = frozenset({"more", "fewer"})
KINDS_BY_CODE = {code: kind for kind, code in KIND_CODES.items()}
_SIGNATURE_BYTES = 12


@dataclass(frozen=True)
class ClickTarget:
    """What a valid click token points at (the URL itself is looked up)."""

    delivery_id: int
    item: int
    kind: str
    token_version: int | None  # None in tokens signed before it was added


class ClickLinks:
    """Signs and verifies click tokens with a key derived from the secret key."""

    def __init__(self, secret_key: str, base_url: str) -> None:
        self._key = hashlib.sha256(b"paperboy.click-link\x00" + secret_key.encode()).digest()
        self.base_url = base_url.rstrip("/")
        self._base = f"{self.base_url}/c/"

    def sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def signed_by_us(self, body: str, signature: str) -> bool:
        """Whether ``signature`` is ours for ``body`` (in constant time).

        Compared as bytes: ``hmac.compare_digest`` raises on text that is not ASCII,
        and a token's characters are whatever the request's path decoded to.
        """
        return hmac.compare_digest(signature.encode(), self.sign(body).encode())

    def token(self, delivery_id: int, token_version: int, item: int, kind: str) -> str:
        signed = f"{delivery_id:x}-{token_version:x}"
        return f"{signed}.{item}{KIND_CODES[kind]}.{self.sign(signed)}"

    def url(self, delivery_id: int, token_version: int, item: int, kind: str) -> str:
        return self._base + self.token(delivery_id, token_version, item, kind)

    def url_maker(self, delivery_id: int, token_version: int) -> Callable[[int, str], str]:
        """``url`` for one delivery, signing it once for all of its links."""
        signed = f"{delivery_id:x}-{token_version:x}"
        prefix, suffix = f"{self._base}{signed}.", f".{self.sign(signed)}"
        return lambda item, kind: f"{prefix}{item}{KIND_CODES[kind]}{suffix}"

    def verify(self, token: str) -> ClickTarget | None:
        """The target of ``token``, or None when it is malformed or not ours."""
        body, _, signature = token.rpartition(".")
        signed, _, item_kind = body.partition(".")
        if not signed or not self.signed_by_us(signed, signature):
            return None
        delivery_hex, has_version, version_hex = signed.partition("-")
        try:
            delivery_id = int(delivery_hex, 16)
            token_version = int(version_hex, 16) if has_version else None
            item = int(item_kind[:-1])
        except ValueError:
            return None
        kind = KINDS_BY_CODE.get(item_kind[-1:])
        if kind is None or item < 0:
            return None
        return ClickTarget(delivery_id, item, kind, token_version)


def open_pixel_url(links: ClickLinks, base_url: str, delivery_id: int) -> str:
    """The 1x1 image that records an open (only used when open tracking is on)."""
    body = f"{delivery_id:x}.o"
    return f"{base_url.rstrip('/')}/o/{body}.{links.sign(body)}.gif"


def verify_open_token(links: ClickLinks, token: str) -> int | None:
    body, _, signature = token.removesuffix(".gif").rpartition(".")
    if not body.endswith(".o") or not links.signed_by_us(body, signature):
        return None
    try:
        return int(body[:-2], 16)
    except ValueError:
        return None
