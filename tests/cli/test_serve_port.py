"""``paperboy run --port N`` (``make run PORT=N``) mails links to the port it serves.

Before, ``BASE_URL`` stayed ``http://localhost:8000`` whatever the port, so a newcomer
serving on 8080 got a confirmation link to a port nothing listened on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from tests.web.pages import bodies, link, outbox_messages, path_of


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[FastAPI]]:
    """``paperboy run`` with uvicorn replaced: the apps it would have served."""
    apps: list[FastAPI] = []

    def serve(app: FastAPI, **options: Any) -> None:
        apps.append(app)

    monkeypatch.setattr("uvicorn.run", serve)
    monkeypatch.setenv("PAPERBOY_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("PAPERBOY_SECRET_KEY", "a-test-secret-that-is-long-enough-0123456789")
    # Set, then removed: the undo restores whatever the run command sets to "unset".
    monkeypatch.setenv("PAPERBOY_BASE_URL", "unset")
    monkeypatch.delenv("PAPERBOY_BASE_URL")
    for name in ("PAPERBOY_DATABASE_URL", "PAPERBOY_MAIL_URL", "PAPERBOY_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield apps
    get_settings.cache_clear()


def _first_mail(outbox: Path) -> EmailMessage:
    """The first mail in the outbox (the in-process task may write it a moment later)."""
    deadline = time.monotonic() + 10
    while not (messages := outbox_messages(outbox)):
        assert time.monotonic() < deadline, f"no mail in {outbox}"
        time.sleep(0.05)
    return messages[0]


def test_without_base_url_the_confirmation_link_is_on_the_port_served(
    served: list[FastAPI], tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, ["run", "--port", "8123"])
    assert result.exit_code == 0, result.output
    (app,) = served
    assert app.state.paperboy.settings.base_url == "http://localhost:8123"
    with TestClient(app) as client:
        answer = client.post("/api/v1/subscriptions", json={"email": "newcomer@example.org"})
        assert answer.status_code in (200, 201, 202), answer.text
        text, html = bodies(_first_mail(tmp_path / "outbox"))
        confirm = link(text, "confirm", base_url="http://localhost:8123")
        assert "localhost:8000" not in text + html
        # The link is one the served app answers.
        assert client.get(path_of(confirm, base_url="http://localhost:8123")).status_code == 200


def test_a_base_url_set_is_kept_whatever_the_port(
    served: list[FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERBOY_BASE_URL", "https://papers.example.org")
    result = CliRunner().invoke(cli, ["run", "--port", "8123"])
    assert result.exit_code == 0, result.output
    (app,) = served
    assert app.state.paperboy.settings.base_url == "https://papers.example.org"
