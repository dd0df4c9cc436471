"""RFC 8058 over HTTP: the List-Unsubscribe URL of a received digest unsubscribes in one POST."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.models import Paper, PaperFeature, Subscriber, SubscriberStatus
from app.web.app import create_app
from tests.factories import DAY, add_papers, add_subscriber, settings_for
from tests.smtp_server import SMTPTestServer

NEXT_DAY = DAY + timedelta(days=1)


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.netloc == "testserver", url
    return parts.path


def _status(engine: Engine, email: str) -> SubscriberStatus:
    with Session(engine) as session:
        return session.scalars(select(Subscriber.status).where(Subscriber.email == email)).one()


def test_one_click_post_of_the_list_unsubscribe_url_unsubscribes_and_the_next_edition_skips(
    clean_db: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, mail_url=smtp_server.url)
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")
        add_subscriber(session, "other@example.org", interests="")
    send_edition(settings, factory, edition_date=DAY)
    [received] = smtp_server.messages_to("reader@example.org")
    header = received.message["List-Unsubscribe"]
    [url] = [u for u in re.findall(r"<([^>]+)>", header) if u.startswith(("https:", "http:"))]
    app = create_app(settings, engine=clean_db)

    # The visible links in the body work too (a GET never unsubscribes anyone).
    html = received.message.get_body(("html",))
    assert html is not None
    body = html.get_content()
    [manage] = set(re.findall(r'href="(http://testserver/manage/[^"]+)"', body))
    [visible_unsubscribe] = set(re.findall(r'href="(http://testserver/unsubscribe/[^"]+)"', body))
    with TestClient(app) as browser:
        page = browser.get(_path(manage))
        assert page.status_code == 200 and "reader@example.org" in page.text
        assert browser.get(_path(visible_unsubscribe)).status_code == 200
    assert _status(clean_db, "reader@example.org") == SubscriberStatus.ACTIVE

    # What a mail provider does: POST the URL, this body, no cookies, no CSRF token.
    with TestClient(app) as provider:
        assert not provider.cookies
        response = provider.post(
            _path(url),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 200
    assert _status(clean_db, "reader@example.org") == SubscriberStatus.UNSUBSCRIBED

    with transaction(factory) as session:
        paper = Paper(arxiv_id="2511.30001", title="Tomorrow's paper on GUI agents", upvotes=50)
        session.add(paper)
        session.flush()
        session.add(PaperFeature(paper_id=paper.id, featured_on=NEXT_DAY))
    send_edition(settings, factory, edition_date=NEXT_DAY)
    latest = [m for m in smtp_server.messages if "Fri 28 Nov" in m.message["Subject"]]
    assert [r for m in latest for r in m.recipients] == ["other@example.org"]
    assert len(smtp_server.messages_to("reader@example.org")) == 1
