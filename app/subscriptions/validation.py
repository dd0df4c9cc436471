"""Checking and normalising what a subscriber submits (web form, API, CSV import).

Email addresses are checked for syntax only (no DNS: a confirmation email is
the real test). The domain is lower-cased; we also store the local part
lower-case so one person cannot hold two subscriptions by changing case.
No value may carry a line break or control character into our data, so no
header can ever be injected from a form field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import available_timezones

import idna
from email_validator import EmailNotValidError
from email_validator import validate_email as _validate_email

from app.models.subscriber import Frequency
from app.subscriptions.errors import InvalidField
from app.topics import TOPICS

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64
MAX_INTERESTS_LENGTH = 1000
MAX_TIMEZONE_LENGTH = 64
DEFAULT_TIMEZONE = "UTC"
DEFAULT_SEND_HOUR = 7

# C0 and C1 controls, line/paragraph separators, and lone surrogates (valid in JSON
# and form data, but no database or mail can encode them).
# Controls, line and paragraph separators, lone surrogates, and the bidi embeddings,
# overrides and isolates (they reorder what is shown after them).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[a-z]\?", re.IGNORECASE)
# The common case, plain ASCII, checked without email_validator (whose Unicode
# domain checks cost 0.1 ms an address, most of a bulk import's time). The
# pattern only admits addresses email_validator accepts unchanged but for case:
# a dot-atom local part of at most 64 characters; a domain of at least two
# hostname labels of 1-63 letters, digits and inner hyphens (none doubled, so no
# Punycode and no R-LDH label), its last label ending in a letter and not a
# special-use name. Anything else takes the full path.
# tests/subscriptions/test_validation.py holds the two paths to the same answers.
_ASCII_ADDRESS = re.compile(
    r"(?=[^@]{1,64}@)"
    r"[a-z0-9_!#$%&'*+/=?^`{|}~-]+(?:\.[a-z0-9_!#$%&'*+/=?^`{|}~-]+)*"
    r"@(?!.*--)"
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?!(?:arpa|invalid|local|localhost|onion|test)\Z)"
    r"(?=[a-z0-9-]{0,62}[a-z]\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?",
    re.IGNORECASE | re.ASCII,
)


@dataclass(frozen=True)
class Preferences:
    """What a subscriber wants: the fields of the form besides the address."""

    interests: str = ""
    topics: list[str] = field(default_factory=list)
    frequency: Frequency = Frequency.DAILY
    weekly_day: int = 0
    send_hour: int = DEFAULT_SEND_HOUR
    timezone: str = DEFAULT_TIMEZONE


def _single_line(field_name: str, value: str, max_length: int, label: str) -> str:
    if _CONTROL.search(value):
        raise InvalidField(field_name, f"{label} cannot contain line breaks or control characters.")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidField(field_name, f"{label} is too long (at most {max_length} characters).")
    return value


def normalise_email(raw: str) -> str:
    """The canonical address (what we store and compare), or ``InvalidField`` with a sentence.

    RFC 2047 encoded words (``=?utf-8?q?...?=``) are refused outright: a mail
    header may decode them into another mailbox (or several), so they could
    slip past the suppression list and the per-address limits.
    """
    value = _single_line("email", raw, MAX_EMAIL_LENGTH, "The email address")
    if not value:
        raise InvalidField("email", "Please enter your email address.")
    if _ENCODED_WORD.search(value):
        raise InvalidField("email", "Please enter the address as you would type it.")
    if _ASCII_ADDRESS.fullmatch(value):
        return _short_local_part(address_key(value))
    return _validated_email(value)


def _short_local_part(address: str) -> str:
    """``address``, or ``InvalidField`` past RFC 5321's 64 characters before the @ (relays
    refuse such mail; email_validator's default checks let them through)."""
    if len(address.rpartition("@")[0]) > MAX_LOCAL_PART_LENGTH:
        raise InvalidField(
            "email",
            f"The part before the @ is too long (at most {MAX_LOCAL_PART_LENGTH} characters).",
        )
    return address


def _validated_email(value: str) -> str:
    """``normalise_email``'s full path: email_validator's syntax checks and normalisation."""
    try:
        result = _validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidField("email", f"That doesn't look like an email address: {error}") from error
    return _short_local_part(address_key(result.normalized))


def address_key(email: str) -> str:
    """The form in which addresses are stored and compared: trimmed, lower-cased, and an
    internationalised domain in Unicode (``bücher.example``), as email_validator gives it.

    ``normalise_email`` returns this for new input; suppression, rate limits, import
    and sending compare stored addresses through it. A bounce or complaint names the
    domain as it went out, in its ASCII form (``xn--bcher-kva.example``): that must be
    the same address, or the reader it names would never be suppressed.
    """
    key = email.strip().lower()
    local, at, domain = key.rpartition("@")
    if at and "xn--" in domain:
        try:
            return f"{local}@{idna.decode(domain)}"
        except (idna.IDNAError, UnicodeError):
            return key  # not a valid ACE name: compared as written
    return key


def address_forms(key: str) -> set[str]:
    """``key`` (an ``address_key``) and, for an internationalised domain, its ASCII form:
    rows stored before ``address_key`` decoded ``xn--`` domains may hold either."""
    local, at, domain = key.rpartition("@")
    if not at or domain.isascii():
        return {key}
    try:
        return {key, f"{local}@{idna.encode(domain).decode('ascii')}"}
    except (idna.IDNAError, UnicodeError):
        return {key}


def clean_interests(raw: str) -> str:
    """Free text, with line breaks and runs of spaces collapsed (it is a search query).

    Other control characters are dropped rather than refused: nobody types them
    on purpose, and interests never reach a mail header.
    """
    spaced = _WHITESPACE.sub(" ", raw)  # line breaks become spaces, then other controls go
    value = _WHITESPACE.sub(" ", _CONTROL.sub("", spaced)).strip()
    if len(value) > MAX_INTERESTS_LENGTH:
        raise InvalidField(
            "interests", f"Please keep your interests under {MAX_INTERESTS_LENGTH} characters."
        )
    return value


def clean_topics(raw: Iterable[str]) -> list[str]:
    """Known topic slugs, de-duplicated, in the catalogue's order."""
    chosen = set()
    for item in raw:
        slug = _single_line("topics", item, 40, "A topic")
        if slug not in TOPICS:
            raise InvalidField("topics", f"Unknown topic {slug[:40]!r}.")
        chosen.add(slug)
    return [slug for slug in TOPICS if slug in chosen]


# Names tzdata ships that are not places: "localtime" is the server's own zone
# (whatever the host is set to) and "Factory" means "no zone configured".
NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def known_timezones() -> frozenset[str]:
    """IANA zone names a subscriber may pick (places only)."""
    return frozenset((available_timezones() | {"UTC"}) - NOT_PLACES)


def clean_timezone(raw: str) -> str:
    value = _single_line("timezone", raw, MAX_TIMEZONE_LENGTH, "The timezone") or DEFAULT_TIMEZONE
    if value not in known_timezones():
        raise InvalidField("timezone", "Please pick a timezone from the list.")
    return value


def clean_frequency(raw: str) -> Frequency:
    try:
        return Frequency(raw.strip())
    except ValueError as error:
        raise InvalidField("frequency", "Please choose daily or weekly.") from error


def clean_int(field_name: str, raw: str | int, low: int, high: int, label: str) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError) as error:
        raise InvalidField(field_name, f"Please choose a valid {label}.") from error
    if not low <= value <= high:
        raise InvalidField(field_name, f"Please choose a valid {label}.")
    return value


def clean_preferences(
    *,
    interests: str = "",
    topics: Iterable[str] = (),
    frequency: str = "daily",
    weekly_day: str | int = 0,
    send_hour: str | int = DEFAULT_SEND_HOUR,
    timezone: str = DEFAULT_TIMEZONE,
) -> Preferences:
    """Validated preferences; raises ``InvalidField`` naming the first bad field."""
    return Preferences(
        interests=clean_interests(interests),
        topics=clean_topics(topics),
        frequency=clean_frequency(frequency),
        weekly_day=clean_int("weekly_day", weekly_day, 0, 6, "day of the week"),
        send_hour=clean_int("send_hour", send_hour, 0, 23, "hour"),
        timezone=clean_timezone(timezone),
    )
