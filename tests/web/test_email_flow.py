"""Subscribe -> confirmation email over real SMTP -> confirm -> manage -> one-click unsubscribe."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Subscriber, SubscriberStatus
from tests.smtp_server import SMTPTestServer
from tests.web.conftest import MakeClient
from tests.web.pages import bodies, csrf_token, link, links_of, path_of


def status_of(engine: Engine, email: str) -> SubscriberStatus:
    with Session(engine) as session:
        row = session.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        return row.status


def test_the_whole_lifecycle_through_a_real_smtp_server(
    make_client: MakeClient, smtp_server: SMTPTestServer, clean_db: Engine
) -> None:
    client = make_client(mail_url=smtp_server.url, base_url="http://testserver")
    page = client.get("/")
    client.post(
        "/subscribe",
        data={"csrf_token": csrf_token(page), "email": "ada@example.org", "topics": ["llm"]},
    )

    [received] = smtp_server.messages_to("ada@example.org")
    text, html = bodies(received.message)
    confirm_url = link(text, "confirm")
    assert confirm_url in html  # both parts carry the same absolute link
    assert re.search(r'href="http://testserver/confirm/', html)

    # GET only shows a button: a link scanner following the link confirms nobody.
    shown = client.get(path_of(confirm_url))
    assert shown.status_code == 200 and "Yes, send me the digest" in shown.text
    assert status_of(clean_db, "ada@example.org") is SubscriberStatus.PENDING

    confirmed = client.post(path_of(confirm_url), data={"csrf_token": csrf_token(shown)})
    assert confirmed.status_code == 200 and "You're subscribed" in confirmed.text
    # When it comes, as the confirmation mail says it (the form's defaults: 07:00 UTC).
    assert "every day at 07:00 (UTC)" in text
    assert "Your digest comes every day at 07:00 (UTC)" in confirmed.text
    assert status_of(clean_db, "ada@example.org") is SubscriberStatus.ACTIVE

    manage_url = link(confirmed.text, "manage")
    manage_page = client.get(path_of(manage_url))
    saved = client.post(
        path_of(manage_url),
        data={
            "csrf_token": csrf_token(manage_page),
            "action": "save",
            "interests": "retrieval for code",
            "topics": ["retrieval", "agents"],
            "frequency": "weekly",
            "weekly_day": "4",
            "send_hour": "18",
            "timezone": "America/New_York",
        },
    )
    assert saved.status_code == 200 and "Your preferences are saved." in saved.text
    assert 'value="agents" checked' in saved.text and "retrieval for code" in saved.text

    paused = client.post(
        path_of(manage_url), data={"csrf_token": csrf_token(saved), "action": "pause"}
    )
    assert "Your digest is paused" in paused.text
    assert status_of(clean_db, "ada@example.org") is SubscriberStatus.PAUSED
    resumed = client.post(
        path_of(manage_url), data={"csrf_token": csrf_token(paused), "action": "resume"}
    )
    assert status_of(clean_db, "ada@example.org") is SubscriberStatus.ACTIVE
    assert "Pause my digest" in resumed.text

    # The mail's unsubscribe link: a bare RFC 8058 POST from a mail provider, no cookies.
    unsubscribe_url = links_of(clean_db, "ada@example.org").unsubscribe
    bare = TestClient(client.app)  # a mail provider's POST: no cookies, no CSRF token
    response = bare.post(
        path_of(unsubscribe_url),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "cookie" not in response.request.headers
    assert response.status_code == 200 and "You're unsubscribed" in response.text
    assert "Subscribe again" in response.text
    assert status_of(clean_db, "ada@example.org") is SubscriberStatus.UNSUBSCRIBED


def test_resubscribing_after_unsubscribing_asks_for_confirmation_again(
    make_client: MakeClient, smtp_server: SMTPTestServer, clean_db: Engine
) -> None:
    client: TestClient = make_client(mail_url=smtp_server.url)
    for _ in range(2):
        client.post(
            "/subscribe",
            data={"csrf_token": csrf_token(client.get("/")), "email": "bo@example.org"},
        )
        [*_, latest] = smtp_server.messages_to("bo@example.org")
        confirm_path = path_of(link(bodies(latest.message)[0], "confirm"))
        client.post(confirm_path, data={"csrf_token": csrf_token(client.get(confirm_path))})
        assert status_of(clean_db, "bo@example.org") is SubscriberStatus.ACTIVE
        client.post(path_of(links_of(clean_db, "bo@example.org").unsubscribe))
        assert status_of(clean_db, "bo@example.org") is SubscriberStatus.UNSUBSCRIBED
    assert len(smtp_server.messages_to("bo@example.org")) == 2


def test_a_confirm_link_opened_again_leads_to_the_manage_page_or_says_it_has_ended(
    make_client: MakeClient, smtp_server: SMTPTestServer, clean_db: Engine
) -> None:
    client: TestClient = make_client(mail_url=smtp_server.url, base_url="http://testserver")
    client.post(
        "/subscribe", data={"csrf_token": csrf_token(client.get("/")), "email": "cy@example.org"}
    )
    [received] = smtp_server.messages_to("cy@example.org")
    confirm_path = path_of(link(bodies(received.message)[0], "confirm"))
    client.post(confirm_path, data={"csrf_token": csrf_token(client.get(confirm_path))})

    again = client.get(confirm_path)
    assert again.status_code == 200 and "already confirmed" in again.text
    assert link(again.text, "manage") == links_of(clean_db, "cy@example.org").manage

    client.post(path_of(links_of(clean_db, "cy@example.org").unsubscribe))
    ended = client.get(confirm_path)
    assert ended.status_code == 200 and "already confirmed" not in ended.text
    assert "has ended" in ended.text and "Subscribe again" in ended.text
    assert "/manage/" not in ended.text
