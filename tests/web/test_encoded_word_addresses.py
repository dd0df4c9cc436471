"""Encoded-word addresses are refused by the subscribe page and the API; no mail goes out.

Before, ``=?utf-8?q?victim?=@example.org`` was accepted after ``victim@example.org``
was suppressed, and the victim received the confirmation mails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.models import Subscriber, Suppression, SuppressionReason
from tests.web.pages import csrf_token, outbox_messages

ATTACKS = [
    "=?utf-8?q?victim?=@example.org",
    "=?us-ascii?q?victim?=@example.org",
    "=?iso-8859-1?q?victim?=@example.org",
    "=?utf-8?q?victim=40gmail.com=2Cx?=@attacker.example",
]


@pytest.fixture
def victim_suppressed(clean_db: Engine) -> None:
    with Session(clean_db) as session:
        session.add(Suppression(email="victim@example.org", reason=SuppressionReason.COMPLAINT))
        session.commit()


def _subscribers(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Subscriber)) or 0


@pytest.mark.usefixtures("victim_suppressed")
@pytest.mark.parametrize("address", ATTACKS)
def test_the_api_refuses_an_encoded_word_address(
    client: TestClient, clean_db: Engine, outbox: Path, address: str
) -> None:
    answer = client.post("/api/v1/subscriptions", json={"email": address})

    assert answer.status_code == 422
    assert _subscribers(clean_db) == 0
    assert outbox_messages(outbox) == []


@pytest.mark.usefixtures("victim_suppressed")
@pytest.mark.parametrize("address", ATTACKS)
def test_the_subscribe_page_refuses_an_encoded_word_address(
    client: TestClient, clean_db: Engine, outbox: Path, address: str
) -> None:
    page = client.post(
        "/subscribe",
        data={"csrf_token": csrf_token(client.get("/")), "email": address, "interests": "x"},
    )

    assert page.status_code == 422
    assert "as you would type it" in page.text
    assert _subscribers(clean_db) == 0
    assert outbox_messages(outbox) == []
