"""Visitors can see a sample digest once an edition has gone out, and it is nobody's."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.web.app import create_app
from tests.environment import ProcessSettings
from tests.factories import DAY, add_papers, add_subscriber


def test_sample_digest_appears_after_an_edition_and_shows_no_subscriber(
    clean_db: Engine, process_settings: ProcessSettings, tmp_path: Path
) -> None:
    settings = process_settings(clean_db, mail_url=f"file://{tmp_path / 'outbox'}")
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        add_papers(session)
        add_subscriber(session, "private.reader@example.org")
    before = TestClient(create_app(settings, engine=clean_db))
    assert 'href="/sample"' not in before.get("/").text
    assert before.get("/sample").status_code == 404

    send_edition(settings, factory, edition_date=DAY)
    sent = next((tmp_path / "outbox").glob("*.eml")).read_text()
    assert "private.reader@example.org" in sent  # the real digest went to them

    client = TestClient(create_app(settings, engine=clean_db))
    assert 'href="/sample"' in client.get("/").text
    page = client.get("/sample")
    assert page.status_code == 200
    html = page.text
    assert "Speculative Decoding with Draft Trees for Faster LLM Inference" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Thursday 27 November 2025" in html
    assert "private.reader@example.org" not in html
    for private in ("/manage/", "/unsubscribe/", "/c/", "/o/"):
        assert private not in html
    assert client.get("/sample").text == html  # rendered once, served again
