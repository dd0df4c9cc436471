"""Hostile papers and subscribers, from the Daily Papers API to the MIME a reader's client parses.

Each example serves a few hostile items beside three plain ones through the
real Daily Papers source (JSON over a mock HTTP transport), ingests them, adds
hostile subscribers through the same checks the form, the API and the import
use, ranks, renders and composes every digest, and reads each message back.
What must hold: no link but http(s), no markup from the data, every header one
line that parses with exactly the one intended recipient, and every plain
paper and plain reader served whatever the hostile ones did.

A smaller number of examples runs a whole ``send_edition`` into the file outbox.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_session_factory, transaction
from app.editions.digests import build_kit, direct_links, prepare_digests
from app.editions.running import send_edition
from app.ingest.http import HttpFetcher, RetryPolicy, make_client
from app.ingest.service import IngestSummary, ingest_date
from app.ingest.sources.hf_daily import HFDailySource
from app.mailer.addresses import ascii_domain_address
from app.mailer.compose import Composer
from app.models import Delivery, DeliveryStatus, Paper, Subscriber
from app.subscriptions.errors import InvalidField
from app.subscriptions.validation import clean_preferences, normalise_email
from app.urls import safe_http_url
from tests.factories import add_subscriber, settings_for, truncate_all
from tests.hostile.checks import assert_html_is_ours, parts, read_message
from tests.hostile.strategies import (
    HOSTILE_CASES,
    hostile_item,
    hostile_settings,
    hostile_subscriber,
)

DAY = date(2025, 9, 15)
API_URL = "https://hf.test/api/daily_papers"
PLAIN_TITLES = {
    "2509.00001": "Speculative Decoding with Draft Trees for Faster Inference",
    "2509.00002": "GUI Agents that Learn from Screenshots",
    "2509.00003": "Diffusion Policies for Robot Manipulation",
}
PLAIN_READERS = {
    "reader@example.org": "speculative decoding, GUI agents",
    "blank@example.org": "",
}


def plain_item(arxiv_id: str, title: str) -> dict[str, Any]:
    return {
        "paper": {
            "id": arxiv_id,
            "title": title,
            "summary": f"We study {title.lower()}. It works well.",
            "authors": [{"name": "Ada Example", "hidden": False}],
            "submittedOnDailyAt": "2025-09-15T00:00:00.000Z",
            "upvotes": 10,
            "githubRepo": "https://github.com/example/repo",
        },
        "numComments": 1,
    }


PLAIN_ITEMS = [plain_item(arxiv_id, title) for arxiv_id, title in PLAIN_TITLES.items()]


def daily_papers(items: list[Any]) -> httpx.MockTransport:
    """The Daily Papers API serving ``items`` for ``DAY`` as one page (JSON with \\u escapes)."""

    def handle(request: httpx.Request) -> httpx.Response:
        page = items if request.url.params.get("p") == "0" else []
        return httpx.Response(
            200, content=json.dumps(page), headers={"Content-Type": "application/json"}
        )

    return httpx.MockTransport(handle)


def ingest(session: Session, settings: Settings, items: list[Any]) -> IngestSummary:
    with make_client(settings, transport=daily_papers(items)) as client:
        source = HFDailySource(
            HttpFetcher(client, RetryPolicy(attempts=1)),
            api_url=API_URL,
            page_url="https://hf.test",
        )
        return ingest_date(session, day=DAY, sources=[source], enricher=None)


def add_readers(session: Session, hostile: list[dict[str, Any]]) -> dict[str, Subscriber]:
    """The plain readers, and each hostile one the entry checks accept (as they would store it)."""
    readers = {
        email: add_subscriber(session, email, interests=i) for email, i in PLAIN_READERS.items()
    }
    for fields in hostile:
        try:
            email = normalise_email(f"{fields['local']}@{fields['domain']}")
            preferences = clean_preferences(
                interests=fields["interests"], topics=fields["topics"], timezone=fields["timezone"]
            )
        except InvalidField:
            HOSTILE_CASES["subscribers refused at the door"] += 1
            continue
        if email in readers:
            continue
        reader = add_subscriber(
            session, email, interests=preferences.interests, timezone=preferences.timezone
        )
        reader.topics = preferences.topics
        readers[email] = reader
        HOSTILE_CASES["subscribers accepted and mailed"] += 1
    session.flush()
    return readers


def assert_plain_papers_arrived(session: Session, summary: IngestSummary, hostile: int) -> None:
    assert summary.fetched == len(PLAIN_ITEMS) + hostile
    rows = session.execute(
        select(Paper.arxiv_id, Paper.title).where(Paper.arxiv_id.in_(list(PLAIN_TITLES)))
    )
    stored = {arxiv_id: title for arxiv_id, title in rows}
    assert stored == PLAIN_TITLES
    for paper in session.scalars(select(Paper)):
        for url in (paper.github_repo, paper.project_page, paper.thumbnail):
            assert url is None or safe_http_url(url) == url


def assert_message_is_sound(data: bytes, email: str, titles: list[str]) -> None:
    message = read_message(data)
    (recipient,) = message["To"].addresses
    assert recipient.addr_spec == ascii_domain_address(email)
    assert message["Subject"]
    text, html = parts(message)
    assert_html_is_ours(html)
    for title in titles:
        assert title in text


_SETTINGS: dict[tuple[Path, str], Settings] = {}


def _settings(tmp_path: Path, engine: Engine) -> Settings:
    """The test's settings, built once rather than once per example."""
    key = (tmp_path, str(engine.url))
    if key not in _SETTINGS:
        _SETTINGS[key] = settings_for(tmp_path, engine)
    return _SETTINGS[key]


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """One example's session: everything it writes is rolled back afterwards."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


KNOWN_ATTACKS = [
    {
        "paper": {
            "id": "2510.00001",
            "title": '<script>alert(1)</script>"><img src=x onerror=alert(1)>\x00\ud800',
            "summary": "x" * 200_000,
            "upvotes": 10**30,
            "githubStars": 10**25,
            "githubRepo": "javascript:alert(document.domain)//",
            "projectPage": "//evil.example",
            "authors": [{"name": "\r\nBcc: victim@example.org"}],
        },
        "numComments": -(10**20),
        "thumbnail": "data:text/html,<script>alert(1)</script>",
    }
]
KNOWN_READERS = [
    {
        "local": "reader2",
        "domain": "example.org",
        "interests": "x\ud800\x9b <script>\r\nBcc: victim@example.org, =?utf-8?q?a?=",
        "topics": ["llm"],
        "timezone": "UTC",
    },
    {
        "local": "=?utf-8?q?victim=40gmail.com=2Cx?=",
        "domain": "attacker.example",
        "interests": "llm",
        "topics": [],
        "timezone": "UTC",
    },
    {"local": "用户", "domain": "bücher.de", "interests": "", "topics": [], "timezone": "UTC"},
]


@hostile_settings(examples=25)
@example(items=KNOWN_ATTACKS, subscribers=KNOWN_READERS, order=random.Random(0))
@given(
    items=st.lists(hostile_item, min_size=1, max_size=4),
    subscribers=st.lists(hostile_subscriber, max_size=3),
    order=st.randoms(use_true_random=False),
)
def test_hostile_papers_and_readers_never_reach_a_reader_unsafe(
    db_engine: Engine,
    tmp_path: Path,
    items: list[dict[str, Any]],
    subscribers: list[dict[str, Any]],
    order: Any,
) -> None:
    settings = _settings(tmp_path, db_engine)
    served = [*PLAIN_ITEMS, *items]
    order.shuffle(served)
    with rolled_back(db_engine) as session:
        summary = ingest(session, settings, served)
        assert_plain_papers_arrived(session, summary, len(items))
        readers = add_readers(session, subscribers)
        paper_ids = list(session.scalars(select(Paper.arxiv_id).order_by(Paper.id)))
        kit = build_kit(session, paper_ids=paper_ids, edition_date=DAY, settings=settings)
        assert set(PLAIN_TITLES) <= set(kit.renderer.papers)
        digests = prepare_digests(
            session, kit=kit, subscribers=list(readers.values()), settings=settings
        )
    composer = Composer(settings)
    papers = kit.renderer.papers
    for number, digest in enumerate(digests):
        if digest.email in PLAIN_READERS:
            assert digest.items, f"{digest.email} got nothing"
        if not digest.items:
            continue
        # Paper links straight to their (hostile) URLs, as the web view renders them.
        rendered = kit.renderer.render(digest.reader, digest.items, direct_links(kit, digest.items))
        composed = composer.compose(
            rendered,
            to=digest.email,  # as the send loop gives it
            unsubscribe_url=digest.reader.unsubscribe_url,
            message_id=composer.message_id(number),
        )
        titles = [PLAIN_TITLES[i.arxiv_id] for i in digest.items if i.arxiv_id in PLAIN_TITLES]
        assert_message_is_sound(composed.data, digest.email, titles)
        for picked in digest.picks_record([papers[i.arxiv_id].links for i in digest.items]):
            assert all(safe_http_url(url) == url for url in picked["links"].values())
        HOSTILE_CASES["digests read back"] += 1
    HOSTILE_CASES["hostile paper items"] += len(items)
    HOSTILE_CASES["examples"] += 1


@hostile_settings(examples=3)
@given(
    items=st.lists(hostile_item, min_size=1, max_size=3),
    subscribers=st.lists(hostile_subscriber, min_size=1, max_size=3),
)
def test_a_whole_send_with_hostile_data_delivers_every_plain_reader(
    clean_db: Engine,
    tmp_path: Path,
    items: list[dict[str, Any]],
    subscribers: list[dict[str, Any]],
) -> None:
    truncate_all(clean_db)
    outbox = tmp_path / f"outbox-{HOSTILE_CASES['whole sends']}"
    settings = settings_for(tmp_path, clean_db, mail_url=f"file://{outbox}")
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        ingest(session, settings, [*PLAIN_ITEMS, *items])
        readers = add_readers(session, subscribers)
        emails = {s.id: s.email for s in readers.values()}

    final = send_edition(settings, factory, edition_date=DAY)

    assert final.status.value == "finished"
    with Session(clean_db) as session:
        deliveries = list(session.scalars(select(Delivery)))
    by_email = {emails[d.subscriber_id]: d for d in deliveries}
    for email in PLAIN_READERS:
        assert by_email[email].status == DeliveryStatus.SENT, by_email[email].last_error
    for delivery in deliveries:
        assert delivery.status in (
            DeliveryStatus.SENT,
            DeliveryStatus.SKIPPED,
            DeliveryStatus.FAILED,
        )
        assert delivery.status == DeliveryStatus.SENT or delivery.last_error
    sent = sorted(outbox.glob("*.eml"))
    assert len(sent) == sum(d.status == DeliveryStatus.SENT for d in deliveries)
    recipients = []
    for path in sent:
        message = read_message(path.read_bytes())
        (recipient,) = message["To"].addresses
        recipients.append(recipient.addr_spec)
        assert recipient.addr_spec in {ascii_domain_address(e) for e in emails.values()}
        assert_html_is_ours(parts(message)[1])
    assert set(PLAIN_READERS) <= set(recipients)
    HOSTILE_CASES["hostile paper items"] += len(items)
    HOSTILE_CASES["whole sends"] += 1
