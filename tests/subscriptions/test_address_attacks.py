"""Addresses that decode to another mailbox never get in, and odd characters never reach a row.

RFC 2047 encoded words in an address (``=?utf-8?q?victim?=@example.org``) were
accepted: a mail header decodes them, so a suppressed victim got confirmation
mails and ``=?utf-8?q?victim=40gmail.com=2Cx?=@attacker.example`` went out with
``To: victim@gmail.com,x@attacker.example``. Lone surrogates and C1 controls
passed the interests check and failed the insert on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Subscriber
from app.subscriptions import service
from app.subscriptions.errors import InvalidField
from app.subscriptions.importing import import_subscribers_csv
from app.subscriptions.ratelimit import NoRateLimit
from app.subscriptions.service import Consent
from app.subscriptions.validation import (
    clean_interests,
    clean_preferences,
    clean_timezone,
    normalise_email,
)

ENCODED_WORD_ADDRESSES = [
    "=?utf-8?q?victim?=@example.org",
    "=?us-ascii?q?victim?=@example.org",
    "=?iso-8859-1?q?victim?=@example.org",
    "=?UTF-8?Q?victim?=@example.org",
    "=?utf-8?b?dmljdGlt?=@example.org",
    "=?utf-8?q?victim=40gmail.com=2Cx?=@attacker.example",
    "=?utf-8?q?victim=40gmail.com?=@attacker.example",
    "x=?utf-8?q?victim?=y@example.org",
    "victim@=?utf-8?q?example?=.org",
    "=?utf-8*en?q?victim?=@example.org",
]


@pytest.mark.parametrize("address", ENCODED_WORD_ADDRESSES)
def test_an_encoded_word_address_is_refused(address: str) -> None:
    with pytest.raises(InvalidField) as refused:
        normalise_email(address)

    assert refused.value.field == "email"


@pytest.mark.parametrize("address", ENCODED_WORD_ADDRESSES[:6])
def test_subscribing_an_encoded_word_address_stores_nothing(session: Session, address: str) -> None:
    with pytest.raises(InvalidField):
        service.subscribe(
            session,
            email=address,
            preferences=clean_preferences(interests="anything"),
            consent=Consent(source="test"),
            limiter=NoRateLimit(),
            confirmation_mails_per_hour=3,
        )

    assert session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_importing_encoded_word_addresses_reports_each_line_and_imports_none(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "email,interests\n"
        + "".join(f"{a},x\n" for a in ENCODED_WORD_ADDRESSES)
        + "ok@example.org,\n",
        encoding="utf-8",
    )

    report = import_subscribers_csv(session, path=path)

    assert report.imported == 1
    assert [error.line for error in report.errors] == list(
        range(2, 2 + len(ENCODED_WORD_ADDRESSES))
    )
    assert list(session.scalars(select(Subscriber.email))) == ["ok@example.org"]


def test_plain_and_international_addresses_still_get_in() -> None:
    assert normalise_email("Victim@Example.org") == "victim@example.org"
    assert normalise_email("用户@example.org") == "用户@example.org"
    assert normalise_email("user@bücher.de") == "user@bücher.de"
    assert normalise_email("a=b?c@example.org") == "a=b?c@example.org"


def test_lone_surrogates_and_c1_controls_are_removed_from_interests() -> None:
    assert clean_interests("protein\ud800 fold\x9bing\x85now") == "protein folding now"


@pytest.mark.parametrize("value", ["UTC\ud800", "Europe/Paris\x9b", "UTC\u2028"])
def test_single_line_fields_refuse_lone_surrogates_and_c1_controls(value: str) -> None:
    with pytest.raises(InvalidField):
        clean_timezone(value)


def test_interests_with_a_lone_surrogate_can_be_stored(session: Session) -> None:
    result = service.subscribe(
        session,
        email="reader@example.org",
        preferences=clean_preferences(interests="x\ud800y \x9b z"),
        consent=Consent(source="test"),
        limiter=NoRateLimit(),
        confirmation_mails_per_hour=3,
    )
    session.flush()

    stored = session.get(Subscriber, result.subscriber_id)
    assert stored is not None and stored.interests == "xy z"
