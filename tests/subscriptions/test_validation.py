"""What subscribers submit is checked and normalised before it is stored."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models import Frequency
from app.subscriptions.errors import InvalidField
from app.subscriptions.validation import clean_preferences, normalise_email
from app.topics import TOPICS


def test_addresses_are_stored_lowercase() -> None:
    assert normalise_email("  Ada.Lovelace@Example.ORG ") == "ada.lovelace@example.org"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not-an-email",
        "a@",
        "@b.org",
        "a b@example.org",
        "x" * 250 + "@example.org",
        "x" * 65 + "@example.org",  # RFC 5321: at most 64 before the @
        "\u00e9" * 65 + "@b\u00fccher.example.org",
        "a\u202e@example.org",  # a bidi override reorders what is shown
    ],
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


def test_interests_lose_bidi_overrides() -> None:
    preferences = clean_preferences(interests="\u202ediffusion\u202c models\u2066")
    assert preferences.interests == "diffusion models"


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


# ``normalise_email`` answers plain ASCII addresses without email_validator (a
# bulk import's main cost); these hold that shortcut to the full path's answer.
_LOCAL_CHARS = "aZ09._-+!#$%&'*/=?^`{|}~\"(),:;<>[\\] @é"
_DOMAIN_CHARS = "aZ09.-_ [éß"
_LABELS = ["xn--bcher-kva", "ab--c", "a", "1", "org", "COM", "test", "local", "arpa", "x" * 63]


def _full_answer(raw: str) -> str | None:
    from app.subscriptions.validation import _single_line, _validated_email

    try:
        return _validated_email(_single_line("email", raw, 254, "The email address"))
    except InvalidField:
        return None


def _answer(raw: str) -> str | None:
    try:
        return normalise_email(raw)
    except InvalidField:
        return None


address_like = st.builds(
    lambda local, labels, tail: local + "@" + ".".join(labels) + tail,
    st.text(_LOCAL_CHARS, min_size=0, max_size=70),
    st.lists(
        st.one_of(st.sampled_from(_LABELS), st.text(_DOMAIN_CHARS, min_size=0, max_size=65)),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["", "", ".", "-", " "]),
)

# Mostly well-formed: atext local parts and hostname labels, so the shortcut is
# taken often and its edges (dots, hyphens, lengths, digits) are walked.
plausible = st.builds(
    lambda local, labels: local + "@" + ".".join(labels),
    st.from_regex(r"[a-zA-Z0-9._+'=-]{1,66}", fullmatch=True),
    st.lists(
        st.one_of(st.from_regex(r"[a-zA-Z0-9-]{1,64}", fullmatch=True), st.sampled_from(_LABELS)),
        min_size=1,
        max_size=4,
    ),
)


@settings(max_examples=4000, deadline=None)
@given(st.one_of(plausible, address_like, st.text(_LOCAL_CHARS + _DOMAIN_CHARS, max_size=30)))
def test_the_ascii_shortcut_gives_email_validators_answer(raw: str) -> None:
    if "=?" in raw:  # encoded words are refused before either path
        return
    assert _answer(raw) == _full_answer(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "Ada@Example.ORG",
        "a.b+tag@sub.example.co.uk",
        "x" * 64 + "@example.org",
        "x" * 65 + "@example.org",
        "a@" + "b" * 63 + ".org",
        "a@" + "b" * 64 + ".org",
        "a@example.123",
        "a@xn--bcher-kva.example",
        "a@ab--cd.example",
        "a@mail.test",
        "a@host.localhost",
        "a..b@example.org",
        ".a@example.org",
        "a@-example.org",
        "a@example",
    ],
)
def test_the_ascii_shortcut_agrees_on_edge_cases(raw: str) -> None:
    assert _answer(raw) == _full_answer(raw)
