"""Link tokens: one salt per purpose, expiry for confirmation only, revocation by version."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from app.models import Subscriber
from app.subscriptions import service
from app.subscriptions.errors import ExpiredToken, InvalidToken, RevokedToken
from app.subscriptions.tokens import TokenPurpose, links_for, make_token, read_token

SECRET = "a-test-secret-that-is-long-enough-for-tokens"


def test_a_token_reads_back_its_subscriber_and_version() -> None:
    token = make_token(SECRET, TokenPurpose.MANAGE, subscriber_id=42, token_version=3)
    claims = read_token(SECRET, TokenPurpose.MANAGE, token)
    assert (claims.subscriber_id, claims.token_version) == (42, 3)


@pytest.mark.parametrize(
    ("issued_for", "used_for"),
    [
        (TokenPurpose.CONFIRM, TokenPurpose.UNSUBSCRIBE),
        (TokenPurpose.UNSUBSCRIBE, TokenPurpose.MANAGE),
        (TokenPurpose.MANAGE, TokenPurpose.CONFIRM),
    ],
)
def test_a_token_for_one_purpose_never_works_for_another(
    issued_for: TokenPurpose, used_for: TokenPurpose
) -> None:
    token = make_token(SECRET, issued_for, subscriber_id=1, token_version=1)
    with pytest.raises(InvalidToken):
        read_token(SECRET, used_for, token)


def test_a_token_signed_with_another_key_is_rejected() -> None:
    token = make_token(
        "another-secret-key-entirely-0123456789",
        TokenPurpose.MANAGE,
        subscriber_id=1,
        token_version=1,
    )
    with pytest.raises(InvalidToken):
        read_token(SECRET, TokenPurpose.MANAGE, token)


@pytest.mark.parametrize("forged", ["", "abc", "WzEsMV0.forged.signature", "x" * 500])
def test_forged_tokens_are_rejected(forged: str) -> None:
    with pytest.raises(InvalidToken):
        read_token(SECRET, TokenPurpose.UNSUBSCRIBE, forged)


def test_a_confirmation_token_expires_after_its_max_age() -> None:
    token = make_token(SECRET, TokenPurpose.CONFIRM, subscriber_id=1, token_version=1)
    time.sleep(1.1)
    with pytest.raises(ExpiredToken):
        read_token(SECRET, TokenPurpose.CONFIRM, token, max_age_seconds=0)
    assert read_token(SECRET, TokenPurpose.CONFIRM, token, max_age_seconds=60).subscriber_id == 1


def test_links_are_absolute_and_built_from_the_base_url() -> None:
    links = links_for(
        base_url="https://news.example.org/", secret_key=SECRET, subscriber_id=5, token_version=1
    )
    assert links.confirm.startswith("https://news.example.org/confirm/")
    assert links.manage.startswith("https://news.example.org/manage/")
    assert links.unsubscribe.startswith("https://news.example.org/unsubscribe/")


def test_bumping_the_token_version_revokes_earlier_links(session: Session) -> None:
    subscriber = Subscriber(email="revoke@example.org")
    session.add(subscriber)
    session.flush()
    token = make_token(SECRET, TokenPurpose.MANAGE, subscriber_id=subscriber.id, token_version=1)
    found = service.subscriber_for_token(
        session, token=token, purpose=TokenPurpose.MANAGE, secret_key=SECRET
    )
    assert found.id == subscriber.id

    service.revoke_tokens(session, subscriber=subscriber)

    with pytest.raises(RevokedToken):
        service.subscriber_for_token(
            session, token=token, purpose=TokenPurpose.MANAGE, secret_key=SECRET
        )


def test_a_token_for_a_deleted_subscriber_is_revoked(session: Session) -> None:
    token = make_token(SECRET, TokenPurpose.MANAGE, subscriber_id=987654, token_version=1)
    with pytest.raises(RevokedToken):
        service.subscriber_for_token(
            session, token=token, purpose=TokenPurpose.MANAGE, secret_key=SECRET
        )
