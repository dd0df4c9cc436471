"""A web app on a real (committing) database, with the tasks it runs pointed at the same one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.web.app import create_app
from tests.environment import ProcessSettings, process_settings

__all__ = ["process_settings"]

MakeClient = Callable[..., TestClient]


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def make_client(
    clean_db: Engine, process_settings: ProcessSettings, outbox: Path
) -> Iterator[MakeClient]:
    """``make_client(**settings)``: a TestClient on an app with those settings."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        overrides.setdefault("mail_url", f"file://{outbox}")
        settings = process_settings(clean_db, **overrides)
        client = TestClient(create_app(settings, engine=clean_db))
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()
