"""The public site over HTTP, on both backends: lists, paper pages, search, feeds, caching."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.models import Subscriber, SubscriberStatus
from tests.papers.site_data import (
    DAY,
    HOSTILE_ID,
    HOSTILE_URLS,
    OLD_UNRELATED,
    OLD_ZEOLITE,
    OLD_ZEOLITE_TOO,
    WEEKEND_DAY,
    add_archive,
    add_older_papers,
)
from tests.smtp_server import SMTPTestServer
from tests.web.conftest import MakeClient
from tests.web.pages import bodies, csrf_token, link, path_of

ATOM = "{http://www.w3.org/2005/Atom}"
PAGES = [
    "/papers",
    f"/papers/date/{DAY.isoformat()}",
    "/papers/week/2025-W48",
    "/papers/month/2025-11",
    "/papers/2511.20000",
    f"/papers/{HOSTILE_ID}",
    "/papers/search?q=speculative+decoding",
]


@pytest.fixture
def archive(clean_db: Engine) -> Engine:
    with transaction(make_session_factory(clean_db)) as session:
        add_archive(session)
    return clean_db


def titles(page: str) -> list[str]:
    found = re.findall(r'<h2 class="paper-title"[^>]*><a href="[^"]+">(.*?)</a>', page)
    return [html.unescape(t) for t in found]


def test_a_day_lists_its_papers_by_trending_score_with_their_details(
    client: TestClient, archive: Engine
) -> None:
    page = client.get(f"/papers/date/{DAY.isoformat()}")
    assert page.status_code == 200
    listed = titles(page.text)
    assert len(listed) == 11
    assert listed[0] == "Speculative Decoding with Draft Trees for Faster LLM Inference"
    assert "Revisited" not in " ".join(listed)  # featured the day before
    first = page.text.split('<article class="paper-card"')[1]
    assert '<p class="rank" aria-label="Rank 1">1</p>' in first
    assert "Ada Lovelace" in first and "Published" in first
    assert re.search(r"<svg class=\"sparkline\"[^>]*><polyline points=\"[\d., ]+\"/></svg>", first)
    assert "1234</span> GitHub stars" in first
    assert "A short summary about speculative decoding." in first
    assert 'href="https://arxiv.org/abs/2511.20000"' in first
    assert 'href="https://github.com/example/repo0"' in first
    assert 'loading="lazy"' in first and 'src="https://cdn.example.org/thumb0.png"' in first
    # Organisation and "and N others" on a paper with four authors.
    assert "Example Lab" in page.text and "and 1 other" in page.text
    assert '<a href="/papers/date/2025-11-26" rel="prev">' in page.text


def test_week_and_month_pages_rank_the_whole_period(client: TestClient, archive: Engine) -> None:
    week = client.get("/papers/week/2025-W48")
    month = client.get("/papers/month/2025-11")
    for page in (week, month):
        assert page.status_code == 200
        assert len(titles(page.text)) == 16
    assert "Week 48, 2025" in week.text and "November 2025" in month.text
    assert "/papers/week/2025-W47" not in week.text  # nothing featured that week: no link


def test_papers_shows_the_latest_featured_day(client: TestClient, archive: Engine) -> None:
    page = client.get("/papers")
    assert page.status_code == 200
    assert "Thursday 27 November 2025" in page.text
    assert '<link rel="canonical" href="http://testserver/papers">' in page.text


def test_an_empty_day_says_so_and_links_the_nearest_day_with_papers(
    client: TestClient, archive: Engine
) -> None:
    page = client.get(f"/papers/date/{WEEKEND_DAY.isoformat()}")
    assert page.status_code == 200
    assert "No papers on this day" in page.text
    assert f'href="/papers/date/{DAY.isoformat()}"' in page.text
    assert '<meta name="description" content="No papers were featured on' in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/papers/date/2025-02-30",
        "/papers/date/2025-1-5",
        "/papers/date/1999-01-01",
        "/papers/date/99999-01-01",
        "/papers/week/2025-W54",
        "/papers/week/2025-48",
        "/papers/month/2025-13",
        "/papers/month/november",
        "/papers/9999.99999",
        "/papers/date/",
        "/papers/<script>",
        "/papers/" + "9" * 500,
    ],
)
def test_a_date_or_id_that_names_nothing_gets_the_404_page(
    client: TestClient, archive: Engine, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in page.text
    assert "<script>" not in page.text


def test_hostile_titles_authors_and_urls_render_inert_on_every_page(
    client: TestClient, archive: Engine
) -> None:
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "<script>" not in page.text, path
        assert "<img src=x" not in page.text and "<b>Bold" not in page.text, path
        for url in HOSTILE_URLS:
            assert f'="{url}' not in page.text, (path, url)
            assert f'="{html.escape(url)}' not in page.text, (path, url)
        assert not re.search(r'(href|src)="\s*(javascript|data|//)', page.text, re.I), path
    hostile = client.get(f"/papers/{HOSTILE_ID}")
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in hostile.text
    assert "Mallory &lt;b&gt;Bold&lt;/b&gt;" in hostile.text


def test_every_page_has_a_title_description_open_graph_and_canonical(
    client: TestClient, archive: Engine
) -> None:
    for path in PAGES:
        page = client.get(path).text
        assert re.search(r"<title>[^<]+ · Paperboy</title>", page), path
        assert re.search(r'<meta name="description" content="[^"]+">', page), path
        assert '<meta property="og:title"' in page and '<meta property="og:url"' in page, path
        assert re.search(r'<link rel="canonical" href="http://testserver/papers[^"]*">', page), path
    paper = client.get("/papers/2511.20000").text
    assert '<meta property="og:type" content="article">' in paper
    assert '<link rel="canonical" href="http://testserver/papers/2511.20000">' in paper


def test_a_repeat_visit_with_the_etag_gets_304(client: TestClient, archive: Engine) -> None:
    client.get("/papers")  # the first visit sets the CSRF cookie (a private response)
    for path in [*PAGES, "/papers/feed.atom", "/sitemap.xml"]:
        first = client.get(path)
        assert first.headers["cache-control"] == "public, max-age=300", path
        etag = first.headers["etag"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"", path
        assert again.headers["etag"] == etag
    assert client.get("/papers").headers["vary"] == "Cookie"
    stale = client.get("/papers", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_the_first_visit_is_not_cached_by_shared_proxies(
    client: TestClient, archive: Engine
) -> None:
    first = client.get("/papers/2511.20000")
    assert "set-cookie" in first.headers
    assert first.headers["cache-control"] == "private, no-cache"


def test_search_ranks_with_the_relevance_model_and_filters_by_period(
    client: TestClient, archive: Engine
) -> None:
    page = client.get("/papers/search", params={"q": "agents learning from screenshots"})
    assert page.status_code == 200
    found = titles(page.text)
    assert found[0] == "GUI Agents that Learn from Screenshots"
    assert "GUI Agents that Learn from Screenshots, Revisited" in found
    # The archive is from 2025: nothing of it is in the past week (now is later).
    recent = client.get("/papers/search", params={"q": "GUI agents", "period": "week"})
    assert titles(recent.text) == [] and "Nothing found" in recent.text
    nothing = client.get("/papers/search", params={"q": "zyxwvut"})
    assert "Nothing found" in nothing.text
    empty = client.get("/papers/search")
    assert empty.status_code == 200 and "What are you looking for?" in empty.text
    # The search text becomes the subscribe box's interests.
    assert ">agents learning from screenshots</textarea>" in page.text


def test_search_and_similar_papers_reach_papers_older_than_the_rolling_corpus(
    client: TestClient, archive: Engine
) -> None:
    with transaction(make_session_factory(archive)) as session:
        add_older_papers(session)
    found = titles(client.get("/papers/search", params={"q": "zeolite catalysis"}).text)
    assert {OLD_ZEOLITE[1], OLD_ZEOLITE_TOO[1]} <= set(found)
    assert "Graph Networks for Zeolite Catalysis" in found
    assert OLD_UNRELATED[1] not in found
    # An old paper's neighbours include the old paper on the same subject, not itself.
    page = client.get(f"/papers/{OLD_ZEOLITE[0]}").text
    similar = titles(page.split('id="similar-heading"')[1])
    assert OLD_ZEOLITE_TOO[1] in similar
    assert OLD_ZEOLITE[1] not in similar


def test_search_survives_text_that_means_something_to_the_index(
    client: TestClient, archive: Engine
) -> None:
    for query in ['"unbalanced', "a & b | !c", "NEAR(x y)", "title:gui*", "'; DROP TABLE paper;--"]:
        assert client.get("/papers/search", params={"q": query}).status_code == 200, query


def test_a_paper_page_shows_everything_about_it(client: TestClient, archive: Engine) -> None:
    page = client.get("/papers/2511.20003").text
    assert '<h1 id="paper-title">Diffusion Policies for Robot Manipulation</h1>' in page
    assert "Code and models are released." in page  # the whole abstract
    assert "Ada Lovelace, Alan Turing, Grace Hopper, Edsger Dijkstra" in page
    assert "cs.CL, cs.LG" in page
    assert "Upvotes went from 16 to 82 over 5 readings" in page
    assert "Carried by the edition of 2025-11-27; picked in 0 readers&#39; digests" in page
    similar = page.split('id="similar-heading"')[1]
    assert titles(similar)[0] == "Diffusion Policies for Robot Manipulation, Revisited"
    assert "Diffusion Policies for Robot Manipulation" not in titles(similar)


def test_the_atom_feed_is_valid_with_stable_ids_and_utc_times(
    client: TestClient, archive: Engine
) -> None:
    response = client.get("/papers/feed.atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 11
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "http://testserver/papers/2511.20000"
    times = [feed.findtext(f"{ATOM}updated")]
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        times.append(entry.findtext(f"{ATOM}updated"))
    for value in times:
        assert value is not None and value.endswith("Z")
        assert datetime.fromisoformat(value).tzinfo == UTC
    hostile = next(e for e in entries if e.findtext(f"{ATOM}id", "").endswith(HOSTILE_ID))
    assert "<script>" in (hostile.findtext(f"{ATOM}title") or "")  # text, escaped in the XML
    assert b"<script>" not in response.content and b"\x0b" not in response.content
    again = ET.fromstring(client.get("/papers/feed.atom").content)
    assert [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")] == ids


RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def test_the_atom_feed_keeps_the_rules_of_rfc_4287(client: TestClient, archive: Engine) -> None:
    """What the Atom schema and its prose require of every feed and entry (RFC 4287 §4)."""
    feed = ET.fromstring(client.get("/papers/feed.atom").content)
    assert all(e.tag.startswith(ATOM) for e in feed.iter())  # nothing outside the namespace

    def absolute_iri(value: str | None) -> bool:
        return bool(value) and re.match(r"[a-z][a-z0-9+.-]*:", value or "") is not None

    def check_links(parent: ET.Element) -> None:
        alternates = [
            (e.get("type"), e.get("hreflang"))
            for e in parent.findall(f"{ATOM}link")
            if e.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates))  # §4.1.1/§4.1.2: one per type+lang
        for element in parent.findall(f"{ATOM}link"):
            assert absolute_iri(element.get("href")), element.attrib

    def check_dates(parent: ET.Element) -> None:
        for name in ("updated", "published"):
            for element in parent.findall(f"{ATOM}{name}"):
                assert RFC3339.fullmatch(element.text or ""), (name, element.text)  # §3.3

    def check_text(element: ET.Element) -> None:
        assert element.get("type", "text") in ("text", "html", "xhtml")  # §3.1
        assert len(element) == 0  # a text construct of type text holds no markup

    assert absolute_iri(feed.findtext(f"{ATOM}id"))  # §4.2.6
    assert feed.find(f"{ATOM}link[@rel='self']") is not None  # §4.1.1 SHOULD
    check_links(feed)
    check_dates(feed)
    entries = feed.findall(f"{ATOM}entry")
    feed_has_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in entries:
        assert absolute_iri(entry.findtext(f"{ATOM}id"))
        # §4.1.1: every entry has an author, or the feed has one.
        assert feed_has_author or entry.find(f"{ATOM}author/{ATOM}name") is not None
        for author in entry.findall(f"{ATOM}author"):
            assert len(author.findall(f"{ATOM}name")) == 1  # §3.2: exactly one name
        # §4.1.2: no atom:content, so an alternate link and a summary are required.
        assert entry.find(f"{ATOM}content") is None
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
        assert len(entry.findall(f"{ATOM}summary")) == 1
        for name in ("title", "summary"):
            check_text(entry.find(f"{ATOM}{name}"))  # type: ignore[arg-type]
        for category in entry.findall(f"{ATOM}category"):
            assert category.get("term")  # §4.2.2: term is required
        check_links(entry)
        check_dates(entry)


def test_the_sitemap_lists_the_days_weeks_months_and_papers(
    client: TestClient, archive: Engine
) -> None:
    response = client.get("/sitemap.xml")
    root = ET.fromstring(response.content)
    locations = {loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert {
        "http://testserver/papers",
        "http://testserver/papers/date/2025-11-27",
        "http://testserver/papers/week/2025-W48",
        "http://testserver/papers/month/2025-11",
        "http://testserver/papers/2511.20000",
    } <= locations


def test_the_home_page_links_to_the_papers(client: TestClient) -> None:
    assert 'href="/papers"' in client.get("/").text


def test_subscribing_from_a_paper_page_prefills_interests_and_needs_confirmation(
    make_client: MakeClient, smtp_server: SMTPTestServer, archive: Engine
) -> None:
    client = make_client(mail_url=smtp_server.url)
    page = client.get("/papers/2511.20009")
    assert ">protein structure, benchmark</textarea>" in page.text
    interests = html.unescape(
        re.search(r'id="subscribe-interests"[^>]*>([^<]*)</textarea>', page.text)[1]  # type: ignore[index]
    )
    sent = client.post(
        "/subscribe",
        data={
            "csrf_token": csrf_token(page),
            "email": "reader@example.org",
            "interests": interests,
            "frequency": "daily",
            "website": "",
        },
    )
    assert sent.status_code == 200 and "Check your inbox" in sent.text
    with Session(archive) as session:
        row = session.scalars(select(Subscriber)).one()
        assert (row.status, row.interests) == (
            SubscriberStatus.PENDING,
            "protein structure, benchmark",
        )
    [received] = smtp_server.messages_to("reader@example.org")
    confirm_url = link(bodies(received.message)[0], "confirm")
    shown = client.get(path_of(confirm_url))
    client.post(path_of(confirm_url), data={"csrf_token": csrf_token(shown)})
    with Session(archive) as session:
        assert session.scalars(select(Subscriber.status)).one() is SubscriberStatus.ACTIVE


def test_the_subscribe_box_keeps_the_honeypot(client: TestClient, archive: Engine) -> None:
    page = client.get("/papers/2511.20000")
    sent = client.post(
        "/subscribe",
        data={"csrf_token": csrf_token(page), "email": "bot@example.org", "website": "spam"},
    )
    assert sent.status_code == 200
    with Session(client.app.state.paperboy.engine) as session:  # type: ignore[attr-defined]
        assert session.scalars(select(Subscriber)).all() == []
