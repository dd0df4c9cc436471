"""The subscribe page and form, as a visitor sees them."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.models import Subscriber
from app.topics import TOPICS
from tests.web.pages import csrf_token, link, outbox_messages


def form(client: TestClient, **fields: object) -> dict[str, object]:
    values: dict[str, object] = {"csrf_token": csrf_token(client.get("/")), "email": ""}
    values.update(fields)
    return values


def count_subscribers(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Subscriber)) or 0


def test_the_subscribe_page_explains_the_digest_and_has_every_field(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "papers picked for your interests" in html and "unsubscribe in one click" in html
    for name in (
        "email",
        "interests",
        "topics",
        "frequency",
        "weekly_day",
        "send_hour",
        "timezone",
        "csrf_token",
        "website",
    ):
        assert f'name="{name}"' in html
    for label, _description in TOPICS.values():
        assert label.replace("&", "&amp;") in html
    # The browser's timezone is the default, set by the page's script (a file: no inline script).
    assert '<script src="/static/pages.js" defer></script>' in html
    script = client.get("/static/pages.js").text
    assert "Intl.DateTimeFormat().resolvedOptions().timeZone" in script
    assert "<option selected>UTC</option>" in html  # the server's default
    assert 'href="/sample"' not in html  # no digest has been sent yet


def test_subscribing_shows_check_your_inbox_and_mails_a_confirmation(
    client: TestClient, outbox: Path, clean_db: Engine
) -> None:
    page = client.post(
        "/subscribe",
        data=form(
            client,
            email="Reader@Example.org",
            interests="video diffusion",
            topics=["generative-media", "vision"],
            frequency="weekly",
            weekly_day="2",
            send_hour="8",
            timezone="Europe/Berlin",
        ),
    )
    assert page.status_code == 200
    assert "Check your inbox" in page.text
    [message] = outbox_messages(outbox)
    assert message["To"] == "reader@example.org"
    assert link(message.get_body(("plain",)).get_content(), "confirm")  # type: ignore[union-attr]
    with Session(clean_db) as session:
        row = session.scalars(select(Subscriber)).one()
    assert (row.frequency.value, row.weekly_day, row.send_hour, row.timezone) == (
        "weekly",
        2,
        8,
        "Europe/Berlin",
    )
    assert row.topics == ["vision", "generative-media"] and row.consent_source == "web-form"


def test_an_invalid_email_shows_the_form_again_with_a_sentence_and_the_entered_values(
    client: TestClient, clean_db: Engine
) -> None:
    page = client.post(
        "/subscribe",
        data=form(
            client,
            email="reader-at-example.org",
            interests="graph neural nets",
            topics=["theory"],
            send_hour="21",
        ),
    )
    assert page.status_code == 422
    assert 'class="error" id="email-error"' in page.text
    assert "doesn&#39;t look like an email address" in page.text
    assert 'value="reader-at-example.org"' in page.text
    assert "graph neural nets</textarea>" in page.text
    assert 'value="theory" checked' in page.text
    assert '<option value="21" selected>' in page.text
    assert count_subscribers(clean_db) == 0


def test_an_unknown_topic_is_refused_with_422(client: TestClient, clean_db: Engine) -> None:
    page = client.post("/subscribe", data=form(client, email="a@example.org", topics=["astrology"]))
    assert page.status_code == 422
    assert "Unknown topic" in page.text
    assert count_subscribers(clean_db) == 0


def test_a_filled_honeypot_looks_accepted_but_stores_and_sends_nothing(
    client: TestClient, outbox: Path, clean_db: Engine
) -> None:
    page = client.post(
        "/subscribe", data=form(client, email="bot@example.org", website="http://spam")
    )
    assert page.status_code == 200 and "Check your inbox" in page.text
    assert count_subscribers(clean_db) == 0
    assert outbox_messages(outbox) == []


def test_the_sample_page_says_when_there_is_no_digest_yet(client: TestClient) -> None:
    page = client.get("/sample")
    assert page.status_code == 404 and "No sample yet" in page.text
