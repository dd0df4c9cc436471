"""Hostile data for the property tests: every field of a paper and of a subscriber.

Text mixes arbitrary Unicode (surrogates and controls included) with payloads
an attacker would try (markup, header injection, template syntax, encoded
words); numbers go past every column; URLs use every scheme but http(s).

``HOSTILE_CASES`` counts the examples that really ran, per test family, so the
suite can say how many hostile cases it tried (``conftest.py`` prints it).

Example counts: ``PAPERBOY_HOSTILE_PROFILE=ci`` (the default: modest counts, a
fixed seed per test, no example database, so a run is repeatable) or
``thorough`` (ten times the examples, random, remembered failures).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

HOSTILE_CASES: Counter[str] = Counter()

PROFILE = os.environ.get("PAPERBOY_HOSTILE_PROFILE", "ci")
if PROFILE not in ("ci", "thorough"):
    raise RuntimeError(f"PAPERBOY_HOSTILE_PROFILE must be ci or thorough, not {PROFILE!r}")


def hostile_settings(examples: int) -> settings:
    """Settings for one property test: ``examples`` cases under ``ci``, ten times more else."""
    ci = PROFILE == "ci"
    return settings(
        max_examples=examples if ci else examples * 10,
        derandomize=ci,
        database=None if ci else settings().database,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            # The engines are session-wide; each example opens and rolls back its own transaction.
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


PAYLOADS = [
    "<script>alert(document.domain)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)' x='",
    "</td></tr></table><svg onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<!--",
    "]]>",
    "&lt;script&gt;",
    "&#x3C;script&#x3E;",
    "{{ 7*7 }}{% raw %}",
    "@@0123456789abcdef:why@@",
    "\r\nBcc: victim@example.org",
    "\nSubject: injected",
    "\r\n\r\n<html>body</html>",
    "=?utf-8?q?victim=40example.org?=",
    "*emphasis* **double** *",
    "\u202eevil\u202c",
    "\u2028\u2029\x85",
    "\x00\x01\x07\x1b\x7f\x9f",
    "\ud800\udfff",
    "\ufeff\u200b\u200d",
    "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357",
    "用户 名字 😀 Ελληνικά עברית",
    " ",
    "",
    "x" * 5000,
]
HOSTILE_URLS = [
    "javascript:alert(document.domain)//",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "/relative/path",
    "https://user:pass@evil.example/",
    'https://example.org/"onmouseover="alert(1)',
    "https://example.org/<script>",
    "https://example.org/\r\nX: y",
    "https://example.org:99999/",
    "https://[::1/",
    "https://example.org/" + "a" * 3000,
    "http://",
    "mailto:victim@example.org",
]

# Any code point, biased towards the dangerous ones: controls, lone surrogates, format
# and line/paragraph separators, private use, and the characters markup and headers use.
_any_char = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(categories=["Cc", "Cs", "Cf", "Zl", "Zp", "Co"]),
    st.sampled_from("<>\"'&=?@:;\\/*{}%#\r\n\t\x00"),
)
_dangerous = st.sampled_from(
    [
        *["\x00", "\ud800", "\udfff", "\r", "\n", "\x85", "\u2028", "\x1b", "\x9b", "\u202e"],
        *["\ufeff", "<", ">", '"', "'", "&", "=?", "?=", "@@", "*", "{{", "%", "\\"],
    ]
)
hostile_text = st.one_of(
    st.text(_any_char, max_size=40),
    st.lists(st.one_of(_dangerous, st.text(max_size=5)), min_size=1, max_size=8).map("".join),
    st.sampled_from(PAYLOADS),
    st.lists(st.one_of(st.text(_any_char, max_size=12), st.sampled_from(PAYLOADS)), max_size=4).map(
        "".join
    ),
)
hostile_url = st.one_of(
    st.sampled_from(HOSTILE_URLS),
    st.text(_any_char, max_size=30),
    st.text(_any_char, max_size=30).map(lambda tail: f"https://example.org/{tail}"),
    st.just("https://example.org/fine"),
)
hostile_number = st.one_of(
    st.integers(),
    st.integers(min_value=2**31 - 3, max_value=10**40),
    st.integers(max_value=-1),
    st.floats(),  # NaN and infinities included: Python's JSON writes and reads them
    st.booleans(),
    st.text(max_size=4),
    st.none(),
)
hostile_datetime = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.tuples(st.datetimes(), st.sampled_from(["Z", "+14:00", "-12:00", "+00:00"])).map(
        lambda pair: pair[0].isoformat() + pair[1]
    ),
    st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "not a date"]),
    hostile_text,
)
# Hostile items never share an id with the plain ones (those must arrive untouched).
hostile_id = st.one_of(
    st.from_regex(r"\A2510\.0\d{4}\Z"),
    st.sampled_from(["2513.00001", "2500.00001", "a" * 40 + "/2509001", "hep-th/9901001v2"]),
    hostile_text,
)
_author = st.one_of(
    st.fixed_dictionaries({"name": hostile_text}, optional={"hidden": st.booleans()}),
    hostile_text,
    st.none(),
)
_organization = st.one_of(
    st.fixed_dictionaries({}, optional={"fullname": hostile_text, "name": hostile_text}),
    hostile_text,
    st.none(),
)


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


hostile_item = st.fixed_dictionaries(
    {
        "paper": st.fixed_dictionaries(
            {"id": hostile_id, "title": hostile_text},
            optional={
                "summary": hostile_text,
                "authors": st.one_of(st.lists(_author, max_size=4), hostile_text),
                "publishedAt": hostile_datetime,
                "submittedOnDailyAt": hostile_datetime,
                "upvotes": hostile_number,
                "githubRepo": hostile_url,
                "githubStars": hostile_number,
                "projectPage": hostile_url,
                "ai_summary": hostile_text,
                "ai_keywords": st.one_of(st.lists(hostile_text, max_size=4), hostile_text),
                "organization": _organization,
            },
        )
    },
    optional={
        "numComments": hostile_number,
        "thumbnail": hostile_url,
        "mediaUrl": hostile_url,
        "title": hostile_text,
        "summary": hostile_text,
        "organization": _organization,
    },
).filter(_json_safe)

# A subscriber as someone typing into the form, the API or a CSV file would give it:
# mostly plausible (so most get through the door and are mailed), hostile in places.
hostile_local_part = st.one_of(
    st.from_regex(r"\A[a-z0-9][a-z0-9._+-]{0,11}\Z"),
    st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=10),
    st.text(_any_char, min_size=1, max_size=20),
    st.sampled_from(
        [
            "=?utf-8?q?victim?=",
            "=?us-ascii?q?victim?=",
            "=?utf-8?q?victim=40gmail.com=2Cx?=",
            '"a\\"b"',
            "a+tag",
            "用户",
            "😀",
            "o'brien",
            "x\r\nbcc: y",
            "<script>",
        ]
    ),
)
_subscriber_fields = {
    "local": (st.from_regex(r"\A[a-z0-9][a-z0-9._+-]{0,11}\Z"), hostile_local_part),
    "domain": (
        st.just("example.org"),
        st.sampled_from(["bücher.de", "EXAMPLE.ORG", "attacker.example", "[127.0.0.1]"]),
    ),
    "topics": (
        st.lists(st.sampled_from(["llm", "agents", "reasoning"]), max_size=3),
        st.lists(hostile_text, min_size=1, max_size=2),
    ),
    "timezone": (
        st.sampled_from(["UTC", "Europe/Paris", "Asia/Kolkata", "America/New_York"]),
        st.one_of(
            st.sampled_from(["localtime", "Factory", "../../etc/passwd", "UTC\r\nX: y"]),
            hostile_text,
        ),
    ),
}


def _subscriber(hostile_field: str | None) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        name: hostile if name == hostile_field else plausible
        for name, (plausible, hostile) in _subscriber_fields.items()
    }
    return st.fixed_dictionaries({**fields, "interests": hostile_text})


# Interests (free text that reaches the subject line) are always hostile; so is at most
# one other field, so most subscribers get through the door and are mailed.
hostile_subscriber = st.sampled_from([None, None, *_subscriber_fields]).flatmap(_subscriber)
