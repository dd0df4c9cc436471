"""Signed tokens for the links we mail: confirm, manage and unsubscribe.

Each purpose has its own salt, so a token for one purpose never works for
another. The payload is ``[subscriber_id, token_version]``: bumping
``Subscriber.token_version`` revokes every token issued before. Only confirm
tokens expire; manage and unsubscribe links in old emails keep working.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.subscriptions.errors import ExpiredToken, InvalidToken


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


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
class SubscriptionLinks:
    """The absolute links a subscriber gets by email (built from ``BASE_URL``)."""

    confirm: str
    manage: str
    unsubscribe: str


def links_for(
    *, base_url: str, secret_key: str, subscriber_id: int, token_version: int
) -> SubscriptionLinks:
    """``BASE_URL/confirm/TOKEN``, ``BASE_URL/manage/TOKEN``, ``BASE_URL/unsubscribe/TOKEN``."""

    def link(purpose: TokenPurpose) -> str:
        token = make_token(
            secret_key, purpose, subscriber_id=subscriber_id, token_version=token_version
        )
        return f"{base_url.rstrip('/')}/{purpose.value}/{token}"

    return SubscriptionLinks(
        confirm=link(TokenPurpose.CONFIRM),
        manage=link(TokenPurpose.MANAGE),
        unsubscribe=link(TokenPurpose.UNSUBSCRIBE),
    )
