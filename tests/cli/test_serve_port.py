"""``paperboy run --port N`` (``make run PORT=N``) mails links to the port it serves.

Before, ``BASE_URL`` stayed ``http://localhost:8000`` whatever the port, so a newcomer
serving on 8080 got a confirmation link to a port nothing listened on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings


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


def _confirmation_mail(outbox: Path) -> str:
    """The plain-text body of the one mail in the outbox (it may be written a moment later)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sent = sorted(outbox.glob("*.eml"))
        if sent:
            message = BytesParser(policy=policy.default).parsebytes(sent[0].read_bytes())
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            return str(body.get_content())
        time.sleep(0.05)
    raise AssertionError(f"no confirmation mail in {outbox}")


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
    mail = _confirmation_mail(tmp_path / "outbox")
    assert "http://localhost:8123/confirm/" in mail
    assert "localhost:8000" not in mail


def test_a_base_url_set_is_kept_whatever_the_port(
    served: list[FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERBOY_BASE_URL", "https://papers.example.org")
    result = CliRunner().invoke(cli, ["run", "--port", "8123"])
    assert result.exit_code == 0, result.output
    (app,) = served
    assert app.state.paperboy.settings.base_url == "https://papers.example.org"
