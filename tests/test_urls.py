"""The one check every outside URL passes before it is stored or rendered as a link."""

from __future__ import annotations

import pytest

from app.urls import MAX_URL_LENGTH, safe_http_url


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
