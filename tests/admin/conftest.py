"""Fixtures for admin tests: an app on a committed database, an admin account, clients.

``admin_client`` is a TestClient already signed in; ``anonymous_client`` is not.
Browser fixtures (a live server and headless Chromium) come from ``tests/browser.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.admin.auth import create_admin_user
from app.config import Settings
from app.db import make_session_factory, transaction
from app.models import AdminUser
from app.web.app import create_app
from tests.browser import browser_page, chromium, live_server  # noqa: F401
from tests.environment import ProcessSettings, process_settings  # noqa: F401

ADMIN_EMAIL = "admin@paperboy.test"
ADMIN_PASSWORD = "correct horse battery staple"

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str) -> httpx.Response:
    """Submit the login form as a person would (fetching the page first for its token)."""
    token = csrf_from(client.get("/admin/login").text)
    return client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf_token": token, "next": "/admin"},
    )


def post_form(client: TestClient, page: str, action: str, **fields: str) -> httpx.Response:
    """Submit a form found on ``page`` to ``action`` with that page's CSRF token."""
    token = csrf_from(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **fields})


@pytest.fixture
def admin_settings(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811 - the fixture imported above
) -> Settings:
    """Settings shared by the app and the in-process tasks it runs (same database, outbox)."""
    return process_settings(clean_db)


@pytest.fixture
def admin_app(clean_db: Engine, admin_settings: Settings) -> FastAPI:
    return create_app(admin_settings, engine=clean_db)


@pytest.fixture
def admin_account(clean_db: Engine) -> AdminUser:
    with transaction(make_session_factory(clean_db)) as session:
        return create_admin_user(session, email=ADMIN_EMAIL, password=ADMIN_PASSWORD)


@pytest.fixture
def anonymous_client(admin_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(admin_app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def admin_client(anonymous_client: TestClient, admin_account: AdminUser) -> TestClient:
    response = sign_in(anonymous_client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 303, response.text
    return anonymous_client
