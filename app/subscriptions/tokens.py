"""Signed tokens for the links we mail: confirm, manage, unsubscribe, and per-paper feedback.

Each purpose has its own salt, so a token for one purpose never works for
another. The payload is ``[subscriber_id, token_version]``: bumping
``Subscriber.token_version`` revokes every token issued before. Only confirm
tokens expire; manage and unsubscribe links in old emails keep working.
A feedback token ("more / fewer like this") also names the edition and the
paper: ``[subscriber_id, token_version, edition_id, paper_id]``.
"""

from __future__ import annotations

import base64
import enum
import hmac
import time
from dataclasses import dataclass
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.subscriptions.errors import ExpiredToken, InvalidToken


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"
    FEEDBACK = "feedback"
    VIEW = "view"
    FEED = "feed"


@dataclass(frozen=True)
class TokenClaims:
    subscriber_id: int
    token_version: int


def _serializer(secret_key: str, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"paperboy.subscription.{purpose.value}")


def make_token(
    secret_key: str, purpose: TokenPurpose, *, subscriber_id: int, token_version: int
) -> str:
    """A URL-safe token naming the subscriber and the token version it was issued for."""
    return str(_serializer(secret_key, purpose).dumps([subscriber_id, token_version]))


def read_token(
    secret_key: str, purpose: TokenPurpose, token: str, *, max_age_seconds: int | None = None
) -> TokenClaims:
    """The claims in ``token``; raises ``InvalidToken`` or ``ExpiredToken``."""
    try:
        payload = _serializer(secret_key, purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as error:
        raise ExpiredToken("This link has expired.") from error
    except BadSignature as error:
        raise InvalidToken("This link is not valid.") from error
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not all(type(part) is int for part in payload)
    ):
        raise InvalidToken("This link is not valid.")
    return TokenClaims(subscriber_id=payload[0], token_version=payload[1])


@dataclass(frozen=True)
class ItemClaims:
    """A feedback token's claims: who, which edition's digest, which paper."""

    subscriber_id: int
    token_version: int
    edition_id: int
    paper_id: int


def read_item_token(secret_key: str, purpose: TokenPurpose, token: str) -> ItemClaims:
    """The claims of a per-paper token (``TokenMinter.item``); raises ``InvalidToken``."""
    try:
        payload = _serializer(secret_key, purpose).loads(token)
    except BadSignature as error:
        raise InvalidToken("This link is not valid.") from error
    if (
        not isinstance(payload, list)
        or len(payload) != 4
        or not all(type(part) is int for part in payload)
    ):
        raise InvalidToken("This link is not valid.")
    return ItemClaims(*payload)


class TokenMinter:
    """``make_token`` for one purpose, for many subscribers (a digest send).

    The same tokens ``make_token`` issues (``read_token`` checks them with
    itsdangerous), about ten times cheaper: the signing key is derived once
    and the payload, two integers, needs no JSON encoder or compression attempt.
    """

    def __init__(self, secret_key: str, purpose: TokenPurpose) -> None:
        signer = _serializer(secret_key, purpose).make_signer()
        self._key = signer.derive_key()
        self._digest = signer.digest_method

    def __call__(self, *, subscriber_id: int, token_version: int) -> str:
        return self._sign(b"[%d,%d]" % (subscriber_id, token_version))

    def item(
        self, *, subscriber_id: int, token_version: int, edition_id: int, paper_id: int
    ) -> str:
        """A token that also names an edition and a paper (``read_item_token`` reads it)."""
        return self._sign(b"[%d,%d,%d,%d]" % (subscriber_id, token_version, edition_id, paper_id))

    def _sign(self, payload: bytes) -> str:
        value = b"%s.%s" % (
            _base64(payload),
            _base64(int(time.time()).to_bytes(8, "big").lstrip(b"\x00")),
        )
        signature = _base64(hmac.new(self._key, value, self._digest).digest())
        return (value + b"." + signature).decode()


@lru_cache(maxsize=16)
def token_minter(secret_key: str, purpose: TokenPurpose) -> TokenMinter:
    """The process's minter for ``purpose`` (built once per secret key)."""
    return TokenMinter(secret_key, purpose)


def _base64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@dataclass(frozen=True)
class SubscriptionLinks:
    """The absolute links a subscriber gets by email (built from ``BASE_URL``)."""

    confirm: str
    manage: str
    unsubscribe: str


def subscriber_link(
    purpose: TokenPurpose, *, base_url: str, secret_key: str, subscriber_id: int, token_version: int
) -> str:
    """``BASE_URL/{purpose}/TOKEN``: the one way a subscriber's mailed link is built."""
    mint = token_minter(secret_key, purpose)
    token = mint(subscriber_id=subscriber_id, token_version=token_version)
    return f"{base_url.rstrip('/')}/{purpose.value}/{token}"


def links_for(
    *, base_url: str, secret_key: str, subscriber_id: int, token_version: int
) -> SubscriptionLinks:
    """``BASE_URL/confirm/TOKEN``, ``BASE_URL/manage/TOKEN``, ``BASE_URL/unsubscribe/TOKEN``."""

    def link(purpose: TokenPurpose) -> str:
        return subscriber_link(
            purpose,
            base_url=base_url,
            secret_key=secret_key,
            subscriber_id=subscriber_id,
            token_version=token_version,
        )

    return SubscriptionLinks(
        confirm=link(TokenPurpose.CONFIRM),
        manage=link(TokenPurpose.MANAGE),
        unsubscribe=link(TokenPurpose.UNSUBSCRIBE),
    )
