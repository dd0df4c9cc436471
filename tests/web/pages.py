"""Reading what the web app and the mail transport produce, as a user would."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

from httpx import Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import Subscriber
from app.subscriptions.tokens import SubscriptionLinks, links_for
from tests.factories import TEST_SECRET

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(page: Response | str) -> str:
    html = page if isinstance(page, str) else page.text
    match = CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def outbox_messages(outbox: Path) -> list[EmailMessage]:
    if not outbox.exists():
        return []
    messages = []
    for path in sorted(outbox.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


def bodies(message: EmailMessage) -> tuple[str, str]:
    """(text, html) parts of a multipart/alternative message."""
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text_part is not None and html_part is not None
    return str(text_part.get_content()), str(html_part.get_content())


def link(text: str, kind: str, base_url: str = "http://testserver") -> str:
    match = re.search(re.escape(base_url) + "/" + kind + r"/[\w.-]+", text)
    assert match, f"no {kind} link in {text[:200]!r}"
    return match.group(0)


def path_of(url: str, base_url: str = "http://testserver") -> str:
    assert url.startswith(base_url + "/")
    return url[len(base_url) :]


def links_of(engine: Engine, email: str, base_url: str = "http://testserver") -> SubscriptionLinks:
    """The links a digest to ``email`` would carry (the mailer's job; built the same way)."""
    with Session(engine) as session:
        row = session.scalars(select(Subscriber).where(Subscriber.email == email)).one()
        return links_for(
            base_url=base_url,
            secret_key=TEST_SECRET,
            subscriber_id=row.id,
            token_version=row.token_version,
        )
