"""The trust issue's hostile corpus (tests/hostile) on every page of the site: inert.

Every payload arrives as a title, an author, an organisation, a summary and a keyword
through the real Daily Papers source and ingest; every hostile URL sits in the stored
rows as if written by hand. What must hold on every page, the feed and the sitemap:
no markup or script from the data, no link or image but our own paths and checked
http(s) URLs, and the text still shown (escaped), not dropped.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.db import make_session_factory, transaction
from app.urls import safe_http_url
from tests.factories import settings_for
from tests.hostile.strategies import PAYLOADS
from tests.papers.site_data import TRUST_DAY, add_trust_corpus

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "srcset", "background"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


SITE = "http://testserver/"


def _ours_or_checked(url: str) -> bool:
    if url.startswith("#") or (url.startswith("/") and not url.startswith("//")):
        return True
    return safe_http_url(url) == url


def assert_page_is_inert(page: str, where: str) -> None:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in {"iframe", "object", "embed", "base", "frame"}, (where, tag)
        if tag == "script":  # our own scripts only, from our static folder
            assert urlsplit(attrs.get("src") or "").path.startswith("/static/"), (where, attrs)
            assert (attrs.get("src") or "").startswith(("/static/", SITE)), (where, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (where, tag, name)
            if name in URL_ATTRIBUTES:
                assert value is not None and _ours_or_checked(value), (where, tag, name, value)
        if tag == "img":
            assert (attrs.get("src") or "").startswith("https://"), (where, attrs)
        if tag == "meta" and attrs.get("property") == "og:image":
            assert safe_http_url(attrs.get("content")) == attrs.get("content"), (where, attrs)


@pytest.fixture
def trust_corpus(clean_db: Engine, tmp_path: Path) -> list[str]:
    with transaction(make_session_factory(clean_db)) as session:
        return add_trust_corpus(session, settings_for(tmp_path, clean_db))


def test_the_trust_corpus_renders_inert_on_every_page_the_feed_and_the_sitemap(
    client: TestClient, trust_corpus: list[str]
) -> None:
    lists = [
        "/papers",
        f"/papers/date/{TRUST_DAY.isoformat()}",
        "/papers/week/2025-W48",
        "/papers/month/2025-11",
        "/papers/search?q=speculative+decoding",
    ]
    # A lone surrogate goes as the invalid UTF-8 bytes an attacker would send.
    searches = [f"/papers/search?q={quote(p[:200], errors='surrogatepass')}" for p in PAYLOADS]
    papers = [f"/papers/{arxiv_id}" for arxiv_id in trust_corpus]
    for path in [*lists, *searches, *papers]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert_page_is_inert(page.text, path)
    day = client.get(f"/papers/date/{TRUST_DAY.isoformat()}").text
    assert day.count('<article class="paper-card"') == len(PAYLOADS)  # none dropped
    script = PAYLOADS.index("<script>alert(document.domain)</script>")
    shown = client.get(f"/papers/{trust_corpus[script]}").text
    assert html.escape("<script>alert(document.domain)</script>", quote=False) in shown
    for path, root in (("/papers/feed.atom", "feed"), ("/sitemap.xml", "urlset")):
        body = client.get(path).content
        document = ET.fromstring(body)  # well-formed XML, whatever the titles held
        assert document.tag.endswith(root), path
        assert b"<script" not in body, path
        # Markup in the data is text here; every element is the format's own.
        namespace = document.tag.split("}")[0] + "}"
        assert all(e.tag.startswith(namespace) for e in document.iter()), path
        links = [e.get("href") or "" for e in document.iter(f"{namespace}link")]
        links += [e.text or "" for e in document.iter(f"{namespace}loc")]
        assert links and all(url.startswith(SITE) for url in links), path
