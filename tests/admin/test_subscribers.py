"""Subscribers in the admin: prefix search, status filter, detail, unsubscribe, suppress, CSV."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.admin.auth import create_admin_user
from app.admin.subscribers import (
    EXPORT_COLUMNS,
    export_csv_chunks,
    search_subscribers,
    subscriber_detail,
    suppress_by_admin,
)
from app.config import Settings
from app.db import make_session_factory, transaction
from app.models import Delivery, Subscriber, SubscriberStatus, Suppression, SuppressionReason
from app.subscriptions.importing import import_subscribers_csv
from app.web.app import create_app
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_from, post_form, sign_in
from tests.admin.scenario import seed_scenario
from tests.environment import ProcessSettings
from tests.smtp_server import ReceivedMessage, SMTPTestServer


def test_search_finds_by_email_prefix_and_treats_wildcards_literally(session: Session) -> None:
    seed_scenario(session)
    session.add(Subscriber(email="rea_x%@example.org", status=SubscriberStatus.ACTIVE))
    session.flush()
    assert search_subscribers(session, query="reader0").total == 9
    assert search_subscribers(session, query="READER01").subscribers[0].email == (
        "reader01@example.org"
    )
    literal = search_subscribers(session, query="rea_x%")
    assert [s.email for s in literal.subscribers] == ["rea_x%@example.org"]
    assert search_subscribers(session, query="%").total == 0


def test_search_finds_an_international_domain_in_either_spelling(session: Session) -> None:
    # Addresses are stored with the domain in Unicode; rows from before that may hold
    # the ASCII (xn--) form a bounce names. The admin may type either.
    session.add_all(
        [
            Subscriber(email="reader@bücher.example", status=SubscriberStatus.ACTIVE),
            Subscriber(email="old@xn--bcher-kva.example", status=SubscriberStatus.ACTIVE),
            Subscriber(email="reader@other.example", status=SubscriberStatus.ACTIVE),
        ]
    )
    session.flush()

    def found(query: str) -> list[str]:
        return [s.email for s in search_subscribers(session, query=query).subscribers]

    for query in ("reader@bücher.example", "reader@xn--bcher-kva.example", "Reader@XN--BCHER-KVA"):
        assert found(query) == ["reader@bücher.example"], query
    for query in ("old@xn--bcher-kva.example", "old@bücher.example", "old@Bücher.ex"):
        assert found(query) == ["old@xn--bcher-kva.example"], query
    assert set(found("reader@")) == {"reader@bücher.example", "reader@other.example"}


def test_a_broad_search_counts_up_to_a_limit_and_says_there_are_more(
    session: Session,
) -> None:
    seed_scenario(session)
    broad = search_subscribers(session, query="reader0", count_up_to=5, page_size=2)
    assert (broad.total, broad.more, broad.pages, len(broad.subscribers)) == (5, True, 3, 2)
    exact = search_subscribers(session, query="reader0", count_up_to=9)
    assert (exact.total, exact.more) == (9, False)


def test_status_filter_and_pages(session: Session) -> None:
    seed_scenario(session)
    active = search_subscribers(session, status=SubscriberStatus.ACTIVE, page_size=5)
    assert active.total == 12 and active.pages == 3 and len(active.subscribers) == 5
    third = search_subscribers(session, status=SubscriberStatus.ACTIVE, page=3, page_size=5)
    assert len(third.subscribers) == 2
    assert all(s.status == SubscriberStatus.ACTIVE for s in third.subscribers)
    # Newest first.
    everyone = search_subscribers(session).subscribers
    assert everyone == sorted(everyone, key=lambda s: s.created_at, reverse=True)


def test_detail_shows_digests_received_and_clicks(session: Session) -> None:
    scenario = seed_scenario(session)
    first = scenario.subscribers[0]  # active, clicked yesterday's digest twice
    detail = subscriber_detail(session, subscriber_id=first.id)
    assert detail.digests_sent == 2 and detail.clicks_total == 2
    assert len(detail.deliveries) == 2 and len(detail.recent_clicks) == 2


def test_suppress_is_recorded_once_and_unsubscribes(session: Session) -> None:
    subscriber = seed_scenario(session).subscribers[0]
    assert suppress_by_admin(session, subscriber_id=subscriber.id)[1]
    assert not suppress_by_admin(session, subscriber_id=subscriber.id)[1]
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert session.scalars(select(Suppression)).one().email == subscriber.email


def test_csv_export_has_every_subscriber_and_defuses_formulas(session: Session) -> None:
    seed_scenario(session)
    session.add(Subscriber(email="x@example.org", interests="=HYPERLINK(1)"))
    session.flush()
    text = "".join(export_csv_chunks(session, batch=7))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 20
    assert next(r for r in rows if r["email"] == "x@example.org")["interests"] == "'=HYPERLINK(1)"
    assert rows[0]["topics"] == "llm;agents"


def test_export_download_streams_a_csv_attachment(
    admin_client: TestClient, clean_db: Engine
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        seed_scenario(session)
    response = admin_client.get("/admin/subscribers/export.csv?status=active")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert len(list(csv.DictReader(io.StringIO(response.text)))) == 12


def test_unsubscribe_button_unsubscribes_once(admin_client: TestClient, clean_db: Engine) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        subscriber = seed_scenario(session).subscribers[0]
    page = f"/admin/subscribers/{subscriber.id}"
    token = csrf_from(admin_client.get(page).text)
    response = admin_client.post(f"{page}/unsubscribe", data={"csrf_token": token})
    assert "is unsubscribed" in admin_client.get(response.headers["location"]).text
    with Session(clean_db) as check:
        stored = check.get(Subscriber, subscriber.id)
        assert stored is not None and stored.status == SubscriberStatus.UNSUBSCRIBED
        assert stored.token_version == subscriber.token_version + 1


def test_csv_import_page_imports_like_the_cli_and_reports(
    admin_client: TestClient, clean_db: Engine
) -> None:
    rows = ["email,interests,topics,frequency", "new@example.org,retrieval,llm;agents,weekly"]
    rows += ["not-an-email,,,", "new@example.org,again,,"]
    rows += [f"bulk{i:05d}@example.org,,," for i in range(3000)]  # > the 64 KB body limit
    data = ("\n".join(rows) + "\n").encode()
    assert len(data) > 64 * 1024
    token = csrf_from(admin_client.get("/admin/subscribers/import").text)
    response = admin_client.post(
        "/admin/subscribers/import",
        data={"csrf_token": token},
        files={"file": ("members list.csv", data, "text/csv")},
    )
    assert response.status_code == 200, response.text
    report = response.text[response.text.index('id="import-report"') :][:800]
    assert "<strong>3001</strong> imported" in report, report
    assert "1 duplicates in the file" in report and "line 3" in report, report
    with Session(clean_db) as check:
        imported = check.scalars(select(Subscriber).where(Subscriber.email == "new@example.org"))
        subscriber = imported.one()
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert subscriber.topics == ["llm", "agents"]
    assert subscriber.consent_source == "import:members_list.csv"


def test_csv_import_is_refused_to_anonymous_visitors_before_reading_the_file(
    anonymous_client: TestClient,
) -> None:
    response = anonymous_client.post(
        "/admin/subscribers/import", files={"file": ("x.csv", b"email\na@example.org\n")}
    )
    assert response.status_code == 303


def test_digest_preview_shows_what_the_mailer_would_send_and_sends_nothing(
    admin_client: TestClient, clean_db: Engine, admin_settings: Settings
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        scenario = seed_scenario(session)
        session.add(
            Subscriber(
                email="fresh@example.org",
                status=SubscriberStatus.ACTIVE,
                interests="diffusion models",
            )
        )
    with Session(clean_db) as check:
        fresh = check.scalars(select(Subscriber).where(Subscriber.email == "fresh@example.org"))
        fresh_id = fresh.one().id
    page = admin_client.get(f"/admin/subscribers/{fresh_id}/preview?day={scenario.today}")
    assert page.status_code == 200
    assert 'id="preview-subject"' in page.text and "srcdoc=" in page.text
    assert "Paper number 0" in page.text
    assert admin_settings.outbox_dir is None or not any(admin_settings.outbox_dir.glob("*.eml"))
    with Session(clean_db) as check:
        assert check.scalar(select(func.count()).select_from(Delivery)) == 24  # unchanged


def test_the_preview_opens_on_the_latest_day_with_papers_when_today_has_none(
    admin_client: TestClient, clean_db: Engine
) -> None:
    from tests.factories import DAY, add_papers, add_subscriber

    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)  # featured on DAY, long before today (as after `paperboy demo`)
        reader = add_subscriber(session, "reader@example.org")

    page = admin_client.get(f"/admin/subscribers/{reader.id}/preview")

    assert page.status_code == 200
    assert "Nothing to preview" not in page.text
    assert 'id="preview-subject"' in page.text and str(DAY) in page.text


def test_send_test_digest_mails_the_admin_without_the_subscribers_own_links(
    admin_client: TestClient, clean_db: Engine, admin_settings: Settings
) -> None:
    from email import message_from_bytes, policy

    from app.subscriptions.tokens import TokenPurpose, read_token

    with transaction(make_session_factory(clean_db)) as session:
        scenario = seed_scenario(session)
    reader = scenario.subscribers[0]
    page = f"/admin/subscribers/{reader.id}/preview?day={scenario.today}"
    token = csrf_from(admin_client.get(page).text)
    action = f"/admin/subscribers/{reader.id}/send-test"
    refused = admin_client.post(
        action, data={"csrf_token": token, "to": "ops@example.org\r\nBcc: x@evil.example"}
    )
    assert "is not an email address" in admin_client.get(refused.headers["location"]).text
    sent = admin_client.post(
        action, data={"csrf_token": token, "to": "ops@example.org", "day": str(scenario.today)}
    )
    assert "Test digest sent to ops@example.org" in admin_client.get(sent.headers["location"]).text
    assert admin_settings.outbox_dir is not None
    [written] = list(admin_settings.outbox_dir.glob("*.eml"))
    raw = written.read_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    assert message["To"] == "ops@example.org" and message["Subject"].startswith("[Test] ")
    # The preview is the subscriber's own: its unsubscribe link reads back to them
    # (tokens carry the second they were minted in, so compare what they say).
    preview = admin_client.get(page).text
    [token] = set(re.findall(r"/unsubscribe/([\w.-]+)", preview))
    claims = read_token(admin_settings.resolved_secret_key(), TokenPurpose.UNSUBSCRIBE, token)
    assert claims.subscriber_id == reader.id
    real_link = f"{admin_settings.base_url}/unsubscribe/{token}"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and "Paper number 0" in body.get_content()
    assert real_link not in body.get_content() and b"evil.example" not in raw
    # Whatever second its tokens were minted in, no link of the subscriber's is left.
    assert "/unsubscribe/" not in body.get_content() and "/manage/" not in body.get_content()
    # Nor their "More / Fewer like this" links (the preview has them, the test mail not).
    assert "/feedback/more/" in admin_client.get(page).text
    assert "/feedback/" not in body.get_content()


def test_a_test_send_to_an_international_domain_writes_it_as_the_digest_does(
    clean_db: Engine, smtp_server: SMTPTestServer, process_settings: ProcessSettings
) -> None:
    from app.editions.running import send_edition
    from tests.factories import DAY, add_papers, add_subscriber

    reader_address, admin_address = "reader@bücher.example", "ops@bücher.example"
    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)
        reader = add_subscriber(session, reader_address)
        create_admin_user(session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    settings = process_settings(clean_db, mail_url=smtp_server.url)
    with TestClient(create_app(settings, engine=clean_db), follow_redirects=False) as client:
        sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        page = f"/admin/subscribers/{reader.id}/preview?day={DAY}"
        sent = post_form(
            client,
            page,
            f"/admin/subscribers/{reader.id}/send-test",
            to=admin_address,
            day=str(DAY),
        )
        assert f"Test digest sent to {admin_address}" in client.get(sent.headers["location"]).text
    # Then the reader's real digest, through the send loop (the test recorded nothing).
    assert send_edition(settings, make_session_factory(clean_db), edition_date=DAY).finished

    def to_line(received: ReceivedMessage) -> bytes:
        [line] = [h for h in received.raw.split(b"\r\n\r\n")[0].split(b"\r\n") if h[:3] == b"To:"]
        return line

    [test] = smtp_server.messages_to("ops@xn--bcher-kva.example")
    [digest] = smtp_server.messages_to("reader@xn--bcher-kva.example")
    assert to_line(digest) == b"To: reader@xn--bcher-kva.example"
    assert to_line(test) == b"To: ops@xn--bcher-kva.example"  # not raw UTF-8
    assert test.message["Subject"].startswith("[Test] ")


def test_a_test_send_to_a_suppressed_address_mails_nothing(
    admin_client: TestClient, clean_db: Engine, admin_settings: Settings
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        scenario = seed_scenario(session)
        session.add(Suppression(email="bounced@example.org", reason=SuppressionReason.HARD_BOUNCE))
    reader = scenario.subscribers[0]
    page = f"/admin/subscribers/{reader.id}/preview?day={scenario.today}"
    refused = post_form(
        admin_client,
        page,
        f"/admin/subscribers/{reader.id}/send-test",
        to="Bounced@example.org",
        day=str(scenario.today),
    )
    shown = admin_client.get(refused.headers["location"]).text
    assert "Nothing sent: bounced@example.org is on the suppression list" in shown
    assert admin_settings.outbox_dir is not None
    assert list(admin_settings.outbox_dir.glob("*.eml")) == []


def test_the_subscriber_page_shows_a_suppression_stored_in_the_other_spelling(
    session: Session,
) -> None:
    reader = Subscriber(email="reader@bücher.example", status=SubscriberStatus.BOUNCED)
    session.add_all(
        [
            reader,
            Suppression(email="reader@xn--bcher-kva.example", reason=SuppressionReason.HARD_BOUNCE),
        ]
    )
    session.flush()
    detail = subscriber_detail(session, subscriber_id=reader.id)
    assert detail.suppression is not None
    assert detail.suppression.email == "reader@xn--bcher-kva.example"


def test_subscriber_page_lists_liked_disliked_and_seed_papers(
    admin_client: TestClient, clean_db: Engine
) -> None:
    from app.models import FeedbackKind
    from app.subscriptions.papers import record_feedback

    with transaction(make_session_factory(clean_db)) as session:
        subscriber = seed_scenario(session).subscribers[0]
        subscriber.seed_papers = ["2401.00001"]
        record_feedback(
            session, subscriber=subscriber, arxiv_id="2511.77777", kind=FeedbackKind.LIKE
        )
        record_feedback(
            session, subscriber=subscriber, arxiv_id="2511.88888", kind=FeedbackKind.DISLIKE
        )
    page = admin_client.get(f"/admin/subscribers/{subscriber.id}").text
    assert "<dt>Liked</dt><dd>2511.77777</dd>" in page
    assert "<dt>Disliked</dt><dd>2511.88888</dd>" in page
    assert "<dt>Seed papers</dt><dd>2401.00001</dd>" in page


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_export_defuses_addresses_that_start_like_a_formula_and_imports_them_back(
    session: Session, tmp_path: Path, start: str
) -> None:
    address = f"{start}cmd@example.org"
    session.add(Subscriber(email=address, interests="x"))
    session.flush()
    text = "".join(export_csv_chunks(session))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["email"] == "'" + address  # a spreadsheet shows it as text, never runs it
    if start == "@":
        return  # not an address the importer accepts in the first place
    session.query(Subscriber).delete()
    exported = tmp_path / "export.csv"
    exported.write_text(text)
    assert import_subscribers_csv(session, path=exported).imported == 1
    assert session.scalars(select(Subscriber.email)).one() == address
