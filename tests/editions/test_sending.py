"""An edition sent end to end into a real SMTP server, read back like a mail client would."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_session_factory, transaction
from app.editions.digests import render_digest_for
from app.editions.progress import edition_progress
from app.editions.running import send_edition
from app.editions.service import open_edition
from app.feedback.links import ClickLinks
from app.models import (
    Delivery,
    DeliveryStatus,
    Event,
    EventKind,
    Frequency,
    Subscriber,
    SubscriberStatus,
)
from app.subscriptions.service import revoke_tokens
from app.web.app import create_app
from tests.factories import DAY, add_papers, add_subscriber, settings_for
from tests.smtp_server import ReceivedMessage, SMTPTestServer


def _setup(engine: Engine) -> None:
    with transaction(make_session_factory(engine)) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")
        add_subscriber(session, "blank@example.org", interests="")
        add_subscriber(session, "monday@example.org", frequency=Frequency.WEEKLY, weekly_day=0)
        add_subscriber(session, "thursday@example.org", frequency=Frequency.WEEKLY, weekly_day=3)
        add_subscriber(session, "gone@example.org", status=SubscriberStatus.UNSUBSCRIBED)


def _send(settings: Settings, engine: Engine) -> None:
    final = send_edition(settings, make_session_factory(engine), edition_date=DAY)
    assert final.status.value == "finished"


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return (
        text.get_content().replace("\r\n", "\n"),
        html.get_content().replace("\r\n", "\n"),
    )


@pytest.fixture
def sent(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> tuple[Settings, Engine, SMTPTestServer]:
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    _setup(clean_db)
    _send(settings, clean_db)
    return settings, clean_db, smtp_server


def test_every_due_subscriber_gets_exactly_one_digest(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    _, _, server = sent
    recipients = sorted(r for m in server.messages for r in m.recipients)
    assert recipients == ["blank@example.org", "reader@example.org", "thursday@example.org"]


def test_digest_headers_make_it_a_well_behaved_bulk_mail(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    settings, _, server = sent
    for received in server.messages:
        message = received.message
        assert message["From"] == "Paperboy <digest@paperboy.test>"
        assert message["To"] == received.recipients[0]
        assert message["Date"] is not None
        assert re.fullmatch(r"<[^@<>]+@paperboy\.test>", message["Message-ID"])
        assert message["List-Id"] == settings.list_id
        # The one-click URL only: a mailto would go to a mailbox nothing reads.
        assert re.fullmatch(r"<http://testserver/unsubscribe/[^>]+>", message["List-Unsubscribe"])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Precedence"] == "bulk"
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == [
            "text/plain",
            "text/html",
        ]


def test_subject_says_what_is_inside(sent: tuple[Settings, Engine, SMTPTestServer]) -> None:
    _, _, server = sent
    subjects = {m.recipients[0]: m.message["Subject"] for m in server.messages}
    assert re.fullmatch(r"\d+ papers for you: .+ — Thu 27 Nov", subjects["reader@example.org"])
    assert "speculative decoding" in subjects["reader@example.org"].lower()
    assert re.fullmatch(r"\d+ trending papers: .+ — Thu 27 Nov", subjects["blank@example.org"])


def test_html_is_escaped_inlined_small_and_links_are_tracked(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    _, _, server = sent
    for received in server.messages:
        _, html = _parts(received.message)
        assert len(html.encode()) < 102 * 1024
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html  # summaries are escaped too
        assert 'class="card" style="' in html  # CSS inlined
        assert "prefers-color-scheme: dark" in html
        hrefs = re.findall(r'href="([^"]+)"', html)
        assert hrefs
        for href in hrefs:
            # Outside links are tracked (/c/); the reader's own pages are signed links;
            # two plain links per card are the same for every reader (the paper's arXiv
            # abstract and its page on the site), so rendering them costs no per-reader work.
            own = r"(c|manage|unsubscribe|view|feed|feedback/more|feedback/fewer)/"
            plain = r"https://arxiv\.org/abs/[\w./-]+|http://testserver/papers/[\w./-]+"
            assert re.match(rf"http://testserver/{own}", href) or re.fullmatch(plain, href), href


def test_plain_text_is_a_real_rendering_with_each_title_on_its_own_line(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    settings, engine, server = sent
    with Session(engine) as session:
        deliveries = session.scalars(select(Delivery)).all()
    for received in server.messages:
        text, _ = _parts(received.message)
        lines = text.splitlines()
        assert "<td" not in text and "<p" not in text
        delivery = next(d for d in deliveries if d.message_id == received.message["Message-ID"])
        assert delivery.picks
        for pick in delivery.picks:
            title = pick_title(engine, pick["arxiv_id"])
            assert title in lines
        assert any(line.startswith("Unsubscribe: http://testserver/unsubscribe/") for line in lines)
        assert settings.postal_address in lines


def pick_title(engine: Engine, arxiv_id: str) -> str:
    from app.models import Paper

    with Session(engine) as session:
        return session.scalars(select(Paper.title).where(Paper.arxiv_id == arxiv_id)).one()


def test_reader_without_interests_is_told_these_are_trending_picks(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    _, _, server = sent
    [blank] = server.messages_to("blank@example.org")
    text, html = _parts(blank.message)
    assert "You have not told us what you are interested in yet" in text
    assert "MOST UPVOTED TODAY" in text
    assert "Most upvoted today" in html


def test_picks_come_from_the_ranker_with_its_reasons(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    _, engine, server = sent
    [received] = server.messages_to("reader@example.org")
    text, html = _parts(received.message)
    assert "Matches your interest in *speculative decoding*" in text
    assert "Matches your interest in <em>speculative decoding</em>" in html
    assert "TOP PICKS FOR YOU" in text
    with Session(engine) as session:
        delivery = session.scalars(
            select(Delivery).where(Delivery.message_id == received.message["Message-ID"])
        ).one()
    # The two papers on their interests lead (speculative decoding, GUI agents).
    assert {p["arxiv_id"] for p in delivery.picks[:2]} == {"2511.20000", "2511.20001"}
    assert {p["section"] for p in delivery.picks[:2]} == {"picks"}
    [blank] = server.messages_to("blank@example.org")
    blank_text, _ = _parts(blank.message)
    assert "No interests set yet, so today's trending: #1 trending today" in blank_text


def test_the_trending_section_links_the_days_page_on_the_site(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    settings, engine, server = sent
    day_url = "http://testserver/papers/date/2025-11-27"
    label = "All papers of Thursday 27 November 2025"
    for received in server.messages:
        text, html = _parts(received.message)
        # Once per digest, as an absolute link, right under the trending section's heading.
        assert html.count(f'href="{day_url}"') == 1, received.recipients
        heading = "Most upvoted today" if "blank" in received.recipients[0] else "Trending today"
        section = html.split(heading, 1)[1].split("</td>", 1)[0]
        link = rf'<a class="day-link" href="{re.escape(day_url)}"[^>]*>{label} →</a>'
        assert re.search(link, section), section
        assert f"\n{heading.upper()}\n{'=' * len(heading)}\n{label}: {day_url}\n" in text
    # The link opens the day's list on the site, the digest's papers on it.
    page = TestClient(create_app(settings, engine)).get(day_url.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "Speculative Decoding with Draft Trees" in page.text


def test_click_link_redirects_only_to_the_recorded_url_and_is_recorded(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    settings, engine, server = sent
    [received] = server.messages_to("reader@example.org")
    _, html = _parts(received.message)
    link = next(h for h in re.findall(r'href="([^"]+)"', html) if "/c/" in h)
    client = TestClient(create_app(settings, engine))
    response = client.get(link.removeprefix("http://testserver"), follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith("https://huggingface.co/papers/2511.")
    token = link.rsplit("/", 1)[1]
    signed, rest = token.split(".", 1)
    delivery_hex, version = signed.split("-")
    forged = f"{int(delivery_hex, 16) + 1:x}-{version}.{rest}"  # another reader's delivery
    assert client.get(f"/c/{forged}", follow_redirects=False).status_code == 404
    beyond = token.replace(".0p.", ".99p.", 1)  # no such item in this digest
    assert client.get(f"/c/{beyond}", follow_redirects=False).status_code == 404
    assert client.get("/c/https:%2F%2Fevil.example", follow_redirects=False).status_code == 404
    with Session(engine) as session:
        clicks = session.scalars(select(Event).where(Event.kind == EventKind.CLICK)).all()
    assert [c.url for c in clicks] == [response.headers["location"]]


@pytest.mark.parametrize(
    "stored",
    ["https://arxiv.org@evil.example/", "https://arxiv.org\\@evil.example/", "https://x.org\t/"],
)
def test_a_click_never_redirects_to_a_recorded_link_that_fails_the_url_check(
    sent: tuple[Settings, Engine, SMTPTestServer], stored: str
) -> None:
    # A delivery row written before the check existed, or by hand: the link is checked
    # again as it leaves, by the same rule as everywhere else (app/urls.py).
    settings, engine, server = sent
    [received] = server.messages_to("reader@example.org")
    _, html = _parts(received.message)
    link = next(h for h in re.findall(r'href="([^"]+)"', html) if ".0p." in h)
    with transaction(make_session_factory(engine)) as session:
        delivery = session.scalars(
            select(Delivery).join(Subscriber).where(Subscriber.email == "reader@example.org")
        ).one()
        picks = [dict(pick) for pick in delivery.picks]
        picks[0]["links"] = {**picks[0]["links"], "paper": stored}
        delivery.picks = picks
    client = TestClient(create_app(settings, engine))
    answer = client.get(link.removeprefix("http://testserver"), follow_redirects=False)
    assert answer.status_code == 404 and "location" not in answer.headers


def test_feedback_links_end_with_revoked_tokens_and_old_tokens_still_open_papers(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    settings, engine, server = sent
    [received] = server.messages_to("reader@example.org")
    _, html = _parts(received.message)
    [more, *_] = re.findall(r'<a href="(http://testserver/c/[^"]+)"[^>]*>More like this', html)
    client = TestClient(create_app(settings, engine))
    path = more.removeprefix("http://testserver")
    hop = client.get(path, follow_redirects=False)
    assert hop.status_code == 302 and "/feedback/more/" in hop.headers["location"]
    # A token signed before the reader's version was in it: papers open, feedback does not.
    links = ClickLinks(settings.resolved_secret_key(), settings.base_url)
    target = links.verify(path.rsplit("/", 1)[1])
    assert target is not None and target.token_version is not None
    delivery = f"{target.delivery_id:x}"
    legacy = f"{delivery}.{target.item}p.{links.sign(delivery)}"
    opened = client.get(f"/c/{legacy}", follow_redirects=False)
    assert opened.status_code == 302 and opened.headers["location"].startswith("https://")
    legacy_feedback = f"{delivery}.{target.item}m.{links.sign(delivery)}"
    assert client.get(f"/c/{legacy_feedback}", follow_redirects=False).status_code == 404
    with transaction(make_session_factory(engine)) as session:
        reader = session.scalars(
            select(Subscriber).where(Subscriber.email == "reader@example.org")
        ).one()
        revoke_tokens(session, subscriber=reader)
    assert client.get(path, follow_redirects=False).status_code == 404
    paper = path.replace(f".{target.item}m.", f".{target.item}p.")
    assert client.get(paper, follow_redirects=False).status_code == 302


def test_sending_again_sends_nothing_twice(
    sent: tuple[Settings, Engine, SMTPTestServer],
) -> None:
    settings, engine, server = sent
    before = len(server.messages)
    with transaction(make_session_factory(engine)) as session:
        edition, chunks = open_edition(session, edition_date=DAY, settings=settings)
    assert chunks == []
    _send(settings, engine)
    assert len(server.messages) == before
    with Session(engine) as session:
        progress = edition_progress(session, edition_id=edition.id)
    assert (progress.counts.recipients, progress.counts.sent) == (3, 3)


def test_preview_renders_what_was_sent(sent: tuple[Settings, Engine, SMTPTestServer]) -> None:
    settings, engine, server = sent
    [received] = server.messages_to("reader@example.org")
    with Session(engine) as session:
        delivery = session.scalars(
            select(Delivery).where(Delivery.message_id == received.message["Message-ID"])
        ).one()
        # The preview of a later day would drop papers already sent, so preview
        # the same edition before it was recorded: compare with the same picks.
        preview = render_digest_for(
            session, subscriber_id=delivery.subscriber_id, edition_date=DAY, settings=settings
        )
    assert preview.subject.endswith("— Thu 27 Nov")
    assert "<html" in preview.html and "Unsubscribe" in preview.text


def test_a_reader_who_unsubscribes_after_fan_out_is_not_mailed(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    _setup(clean_db)
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        edition, chunks = open_edition(session, edition_date=DAY, settings=settings)
    with transaction(factory) as session:
        from app.models import Subscriber

        reader = session.scalars(
            select(Subscriber).where(Subscriber.email == "reader@example.org")
        ).one()
        reader.status = SubscriberStatus.UNSUBSCRIBED
    _send(settings, clean_db)
    assert smtp_server.messages_to("reader@example.org") == []
    with Session(clean_db) as session:
        statuses = dict(
            session.execute(
                select(Delivery.subscriber_id, Delivery.status).where(
                    Delivery.edition_id == edition.id
                )
            ).all()
        )
    assert sorted(statuses.values()) == [
        DeliveryStatus.SENT,
        DeliveryStatus.SENT,
        DeliveryStatus.SKIPPED,
    ]
    assert len(chunks) == 1


def messages_by_recipient(server: SMTPTestServer) -> dict[str, list[ReceivedMessage]]:
    out: dict[str, list[ReceivedMessage]] = {}
    for message in server.messages:
        for recipient in message.recipients:
            out.setdefault(recipient, []).append(message)
    return out
