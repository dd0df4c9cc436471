"""The one check every outside URL passes before it is stored or rendered as a link."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.urls import _UNSAFE_CHARACTERS, MAX_URL_LENGTH, _parsed_http_url, safe_http_url


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/org/repo",
        "http://example.org/project?x=1#top",
        "HTTPS://Example.org/",
        "https://example.org:8443/a",
    ],
)
def test_absolute_http_urls_pass_unchanged(url: str) -> None:
    assert safe_http_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)//",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "evil.example",
        "https://user:pass@example.org/",
        "https://victim.example@evil.example/",
        "https:///nohost",
        "https://example.org/a b",
        'https://example.org/"onmouseover="x',
        "https://example.org\\@evil.example",
        "https://example.org:notaport/",
        "https://example.org/\x00",
        "",
        None,
        42,
        "https://example.org/" + "a" * MAX_URL_LENGTH,
    ],
)
def test_anything_else_is_refused(url: object) -> None:
    assert safe_http_url(url) is None


def _parsed_only(value: str) -> str | None:
    """The check without its shortcut for plain URLs: every URL parsed."""
    if not value or len(value) > MAX_URL_LENGTH or _UNSAFE_CHARACTERS.search(value):
        return None
    return _parsed_http_url(value)


# Letters that fold to ASCII under IGNORECASE (long s, Kelvin sign, dotless i) too.
_HOST = st.text(alphabet="aZ09-.@:[]_%\u00e9\u017f\u212a\u0131", max_size=12)
_REST = st.text(alphabet="a/?#@:%.=&-~\u00e9", max_size=16)
_URLS = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["http", "HTTPS", "hTTp", "ftp", "javascript", "", "http:", "https:/"]),
        st.sampled_from(["://", ":", "//", ":///", ""]),
        _HOST,
        _REST,
    ),
)


@given(st.one_of(_URLS, st.text(max_size=40)))
@example("https://\u017f.example/")
@example("https://example.org:443/")
@example("https://a@b/")
@example("https://host/path@x")
@example("http://[::1]/")
def test_the_shortcut_for_plain_urls_answers_as_parsing_would(url: str) -> None:
    assert safe_http_url(url) == _parsed_only(url)
