"""What subscribers submit is checked and normalised before it is stored."""

from __future__ import annotations

import pytest

from app.models import Frequency
from app.subscriptions.errors import InvalidField
from app.subscriptions.validation import clean_preferences, normalise_email
from app.topics import TOPICS


def test_addresses_are_stored_lowercase() -> None:
    assert normalise_email("  Ada.Lovelace@Example.ORG ") == "ada.lovelace@example.org"


@pytest.mark.parametrize(
    "bad",
    ["", "not-an-email", "a@", "@b.org", "a b@example.org", "x" * 250 + "@example.org"],
)
def test_invalid_addresses_are_refused_with_a_sentence(bad: str) -> None:
    with pytest.raises(InvalidField) as caught:
        normalise_email(bad)
    assert caught.value.field == "email"
    assert caught.value.message.endswith(".")


@pytest.mark.parametrize(
    "injection",
    [
        "victim@example.org\r\nBcc: everyone@example.org",
        "victim@example.org\nSubject: hi",
        "victim@example.org\x00",
    ],
)
def test_header_injection_in_the_address_is_refused(injection: str) -> None:
    with pytest.raises(InvalidField, match="line breaks"):
        normalise_email(injection)


def test_every_catalogue_topic_is_accepted_and_kept_in_catalogue_order() -> None:
    slugs = list(TOPICS)
    preferences = clean_preferences(topics=[*reversed(slugs), slugs[0]])
    assert preferences.topics == slugs


def test_an_unknown_topic_is_refused() -> None:
    with pytest.raises(InvalidField) as caught:
        clean_preferences(topics=["llm", "astrology"])
    assert caught.value.field == "topics"


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("send_hour", {"send_hour": "24"}),
        ("send_hour", {"send_hour": "seven"}),
        ("weekly_day", {"weekly_day": 7}),
        ("frequency", {"frequency": "hourly"}),
        ("timezone", {"timezone": "Mars/Olympus_Mons"}),
        ("timezone", {"timezone": "UTC\r\nX-Evil: 1"}),
        ("interests", {"interests": "x" * 1001}),
    ],
)
def test_bad_preferences_name_the_field(field: str, values: dict[str, object]) -> None:
    with pytest.raises(InvalidField) as caught:
        clean_preferences(**values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_interests_lose_their_line_breaks() -> None:
    preferences = clean_preferences(interests="  diffusion models\r\n\r\nand   RLHF ")
    assert preferences.interests == "diffusion models and RLHF"


def test_defaults_are_a_daily_digest_at_seven_utc() -> None:
    preferences = clean_preferences()
    assert (preferences.frequency, preferences.send_hour, preferences.timezone) == (
        Frequency.DAILY,
        7,
        "UTC",
    )


@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules"])
def test_zones_that_are_not_places_are_refused(zone: str) -> None:
    with pytest.raises(InvalidField) as caught:
        clean_preferences(timezone=zone)
    assert caught.value.field == "timezone"
    assert clean_preferences(timezone="Europe/Paris").timezone == "Europe/Paris"
