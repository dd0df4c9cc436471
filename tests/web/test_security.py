"""Security: GET changes nothing, CSRF, tokens, rate limits, no enumeration, injection, limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Subscriber, SubscriberStatus, Suppression, SuppressionReason
from app.web.app import create_app
from tests.factories import make_test_settings
from tests.web.conftest import MakeClient
from tests.web.pages import bodies, csrf_token, link, links_of, outbox_messages, path_of


def subscribe(client: TestClient, email: str, **fields: object) -> object:
    data: dict[str, object] = {"csrf_token": csrf_token(client.get("/")), "email": email}
    data.update(fields)
    return client.post("/subscribe", data=data)


def add_subscriber(engine: Engine, email: str, status: SubscriberStatus) -> None:
    with Session(engine) as session:
        session.add(Subscriber(email=email, status=status))
        session.commit()


def status_of(engine: Engine, email: str) -> SubscriberStatus:
    with Session(engine) as session:
        return session.scalars(select(Subscriber.status).where(Subscriber.email == email)).one()


def test_following_links_with_get_never_changes_anything(
    client: TestClient, clean_db: Engine, outbox: Path
) -> None:
    subscribe(client, "scanner@example.org")
    confirm_path = path_of(link(bodies(outbox_messages(outbox)[0])[0], "confirm"))
    links = links_of(clean_db, "scanner@example.org")
    for _ in range(3):
        assert client.get(confirm_path).status_code == 200
        assert client.get(path_of(links.unsubscribe)).status_code == 200
        assert client.get(path_of(links.manage)).status_code == 200
    assert status_of(clean_db, "scanner@example.org") is SubscriberStatus.PENDING


def test_head_is_get_without_the_body_and_changes_nothing(
    client: TestClient, clean_db: Engine, outbox: Path
) -> None:
    subscribe(client, "monitor@example.org")
    links = links_of(clean_db, "monitor@example.org")
    confirm_path = path_of(link(bodies(outbox_messages(outbox)[0])[0], "confirm"))
    for path in ("/", "/papers", "/healthz", confirm_path, path_of(links.manage)):
        got, head = client.get(path), client.head(path)
        assert (head.status_code, head.content) == (got.status_code, b""), path
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == str(len(got.content))
    assert client.head("/no-such-page").status_code == 404
    # A scanner's HEAD of a tracking link is no reader's click: refused, as before.
    assert client.head("/c/anything").status_code == 405
    assert status_of(clean_db, "monitor@example.org") is SubscriberStatus.PENDING


@pytest.mark.parametrize("kind", ["subscribe", "confirm", "manage", "resend"])
def test_a_form_post_without_a_valid_csrf_token_gets_403(
    client: TestClient, clean_db: Engine, kind: str
) -> None:
    add_subscriber(clean_db, "victim@example.org", SubscriberStatus.PENDING)
    links = links_of(clean_db, "victim@example.org")
    path = {
        "subscribe": "/subscribe",
        "confirm": path_of(links.confirm),
        "manage": path_of(links.manage),
        "resend": "/confirm/resend",
    }[kind]
    client.get("/")  # has the cookie half; the form half is missing or wrong
    data = {"email": "victim@example.org", "action": "unsubscribe"}
    assert client.post(path, data=data).status_code == 403
    assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    assert status_of(clean_db, "victim@example.org") is SubscriberStatus.PENDING


def test_a_csrf_cookie_that_is_not_ascii_is_refused_like_any_other_mismatch(
    client: TestClient,
) -> None:
    token = csrf_token(client.get("/"))
    client.cookies.clear()
    # A cookie is the client's to write: "é" once made the comparison raise (500).
    cookie = {"cookie": "paperboy_csrf=\xe9t\xe9".encode("latin-1")}
    data = {"csrf_token": token, "email": "someone@example.org"}
    answer = client.post("/subscribe", data=data, headers=cookie)  # type: ignore[arg-type]
    assert answer.status_code == 403


@pytest.mark.parametrize("kind", ["confirm", "manage", "unsubscribe"])
def test_a_forged_token_gets_a_page_that_says_so(client: TestClient, kind: str) -> None:
    page = client.get(f"/{kind}/WzEsMV0.forged.token")
    assert page.status_code == 400
    assert "This link is not valid" in page.text
    assert client.post(f"/unsubscribe/{'x' * 40}").status_code == 400


def test_an_expired_confirmation_link_offers_a_new_confirmation_email(
    make_client: MakeClient, clean_db: Engine, outbox: Path
) -> None:
    client = make_client(confirm_token_max_age_seconds=1)
    subscribe(client, "late@example.org")
    confirm_path = path_of(link(bodies(outbox_messages(outbox)[0])[0], "confirm"))
    time.sleep(2.1)

    page = client.get(confirm_path)

    assert page.status_code == 400 and "This link has expired" in page.text
    assert 'action="/confirm/resend"' in page.text
    again = client.post(
        "/confirm/resend", data={"csrf_token": csrf_token(page), "email": "late@example.org"}
    )
    assert "Check your inbox" in again.text
    assert len(outbox_messages(outbox)) == 2


def test_revoked_links_stop_working(client: TestClient, clean_db: Engine) -> None:
    add_subscriber(clean_db, "moved@example.org", SubscriberStatus.ACTIVE)
    links = links_of(clean_db, "moved@example.org")
    with Session(clean_db) as session:
        row = session.scalars(select(Subscriber)).one()
        row.token_version += 1
        session.commit()
    page = client.get(path_of(links.manage))
    assert page.status_code == 400 and "no longer valid" in page.text


def test_subscribe_posts_are_rate_limited_per_ip(make_client: MakeClient) -> None:
    client = make_client(subscribe_per_minute_per_ip=3)
    codes = [subscribe(client, f"r{i}@example.org").status_code for i in range(5)]  # type: ignore[attr-defined]
    assert codes == [200, 200, 200, 429, 429]
    limited = subscribe(client, "r9@example.org")
    assert "Slow down" in limited.text and int(limited.headers["Retry-After"]) > 0  # type: ignore[attr-defined]


def test_a_new_ipv6_address_per_post_does_not_dodge_the_subscribe_limit(
    clean_db: Engine, tmp_path: Path
) -> None:
    # One IPv6 host is handed a whole /64: counted per address, it had a fresh limit
    # for every request. Another /64 is another client.
    settings = make_test_settings(
        tmp_path, subscribe_per_minute_per_ip=3, mail_url=f"file://{tmp_path / 'outbox'}"
    )
    app = create_app(settings, engine=clean_db)
    codes = []
    for n in range(5):
        with TestClient(app, client=(f"2001:db8:5:6::{n + 1:x}", 50000)) as visitor:
            codes.append(subscribe(visitor, f"v6-{n}@example.org").status_code)  # type: ignore[attr-defined]
    assert codes == [200, 200, 200, 429, 429]
    with TestClient(app, client=("2001:db8:5:7::1", 50000)) as neighbour:
        assert subscribe(neighbour, "next-door@example.org").status_code == 200  # type: ignore[attr-defined]


def test_confirmation_mails_are_rate_limited_per_address(client: TestClient, outbox: Path) -> None:
    for _ in range(5):
        assert subscribe(client, "eager@example.org").status_code == 200  # type: ignore[attr-defined]
    assert len(outbox_messages(outbox)) == 3  # settings.confirmation_mails_per_hour


def test_rate_limits_can_be_turned_off_by_a_setting(make_client: MakeClient) -> None:
    client = make_client(rate_limit_enabled=False, subscribe_per_minute_per_ip=1)
    assert {subscribe(client, f"x{i}@example.org").status_code for i in range(3)} == {200}  # type: ignore[attr-defined]


def test_the_answer_is_byte_identical_whatever_the_address_state(
    make_client: MakeClient, clean_db: Engine
) -> None:
    client = make_client(rate_limit_enabled=False)
    add_subscriber(clean_db, "pending@example.org", SubscriberStatus.PENDING)
    add_subscriber(clean_db, "active@example.org", SubscriberStatus.ACTIVE)
    add_subscriber(clean_db, "left@example.org", SubscriberStatus.UNSUBSCRIBED)
    with Session(clean_db) as session:
        session.add(Suppression(email="blocked@example.org", reason=SuppressionReason.COMPLAINT))
        session.commit()
    token = csrf_token(client.get("/"))
    answers = set()

    def headers(response: Response) -> tuple[tuple[str, str], ...]:
        # X-Request-ID is new for every request, whatever the address: not a tell.
        return tuple(sorted((k, v) for k, v in response.headers.items() if k != "x-request-id"))

    for email in (
        "new@example.org",
        "pending@example.org",
        "active@example.org",
        "left@example.org",
        "blocked@example.org",
    ):
        response = client.post("/subscribe", data={"csrf_token": token, "email": email})
        answers.add((response.status_code, response.content, headers(response)))
        api = client.post("/api/v1/subscriptions", json={"email": email})
        answers.add((api.status_code, api.content, headers(api)))
    assert len(answers) == 2  # one for the form, one for the API


def test_a_subscribed_address_that_subscribes_again_is_mailed_its_manage_link(
    client: TestClient, outbox: Path, clean_db: Engine
) -> None:
    add_subscriber(clean_db, "known@example.org", SubscriberStatus.ACTIVE)
    page = subscribe(client, "Known@example.org", topics=["rl"])
    assert page.status_code == 200 and "Check your inbox" in page.text  # type: ignore[attr-defined]
    assert (
        client.post("/api/v1/subscriptions", json={"email": "known@example.org"}).status_code == 202
    )
    notes = outbox_messages(outbox)
    assert [m["Subject"] for m in notes] == ["You are already subscribed to Paperboy"] * 2
    text, html = bodies(notes[0])
    manage = link(text, "manage")
    assert manage in html and "/confirm/" not in text
    opened = client.get(path_of(manage))
    assert opened.status_code == 200 and "known@example.org" in opened.text
    assert status_of(clean_db, "known@example.org") is SubscriberStatus.ACTIVE
    with Session(clean_db) as session:
        assert session.scalars(select(Subscriber.topics)).one() == []


def test_notes_to_a_subscribed_address_are_rate_limited_per_address(
    client: TestClient, outbox: Path, clean_db: Engine
) -> None:
    add_subscriber(clean_db, "eager@example.org", SubscriberStatus.ACTIVE)
    for _ in range(5):
        assert subscribe(client, "eager@example.org").status_code == 200  # type: ignore[attr-defined]
    assert len(outbox_messages(outbox)) == 3  # settings.confirmation_mails_per_hour


def test_header_injection_never_reaches_a_mail_header(
    client: TestClient, outbox: Path, clean_db: Engine
) -> None:
    attempts = [
        {"email": "victim@example.org\r\nBcc: everyone@example.org"},
        {"email": "victim@example.org", "timezone": "UTC\r\nBcc: everyone@example.org"},
        {"email": "victim@example.org", "topics": ["llm\r\nBcc: everyone@example.org"]},
    ]
    for fields in attempts:
        assert subscribe(client, **fields).status_code == 422  # type: ignore[arg-type, attr-defined]
    subscribe(client, "victim@example.org", interests="cats\r\nBcc: everyone@example.org")
    [message] = outbox_messages(outbox)
    assert message["Bcc"] is None and message["To"] == "victim@example.org"
    with Session(clean_db) as session:
        assert session.scalars(select(Subscriber.interests)).one() == (
            "cats Bcc: everyone@example.org"
        )


def test_an_oversized_body_gets_413(client: TestClient) -> None:
    response = client.post("/subscribe", data={"email": "a@example.org", "interests": "x" * 70_000})
    assert response.status_code == 413
    api = client.post(
        "/api/v1/subscriptions", json={"email": "a@example.org", "interests": "x" * 70_000}
    )
    assert api.status_code == 413
    # Without a declared length (chunked), found too large while read: 413 all the same.
    body = b'{"email": "a@example.org", "interests": "' + b"x" * 70_000 + b'"}'

    def chunked() -> Iterator[bytes]:
        yield from (body[n : n + 8192] for n in range(0, len(body), 8192))

    streamed = client.post(
        "/api/v1/subscriptions", content=chunked(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413 and "too large" in streamed.text.lower()


def test_database_down_gives_503_from_healthz_and_a_friendly_page(tmp_path: Path) -> None:
    settings = make_test_settings(
        tmp_path, database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["database"] == "unavailable"
    page = client.post(
        "/subscribe", data={"csrf_token": csrf_token(client.get("/")), "email": "a@example.org"}
    )
    assert page.status_code == 503
    assert "cannot reach its database" in page.text and "Traceback" not in page.text
    api = client.post("/api/v1/subscriptions", json={"email": "a@example.org"})
    assert api.status_code == 503 and api.json() == {"detail": "The database is unavailable."}
