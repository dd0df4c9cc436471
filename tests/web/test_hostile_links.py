"""Hostile URLs in papers never become links, and injected markup cannot run script.

A paper's ``projectPage``/``githubRepo`` come from outside: every page renders
them through ``safe_http_url``, and the Content-Security-Policy allows scripts
from this origin's files only, so even markup that slipped through stays inert.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, Route, expect
from sqlalchemy import Engine, select

from app.admin.auth import create_admin_user
from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.models import Edition
from app.urls import safe_http_url
from app.web.app import create_app
from tests.browser import LiveServer, browser_page, chromium, live_server  # noqa: F401
from tests.environment import ProcessSettings
from tests.factories import DAY, add_papers, add_subscriber
from tests.web.conftest import MakeClient
from tests.web.pages import csrf_token

HOSTILE = [
    "javascript:alert(document.domain)//",
    "data:text/html,<script>alert(document.domain)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
]
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
LINK = re.compile(r"""\b(?:href|src|action|srcdoc)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def assert_only_safe_links(page: str) -> None:
    links = [html.unescape(value) for value in LINK.findall(page)]
    assert links, "the page has no links at all"
    for value in links:
        own_path = value.startswith(("/", "#")) and not value.startswith("//")
        assert own_path or value == "" or safe_http_url(value), f"unsafe link {value!r}"
    for bad in HOSTILE:
        assert f'href="{html.escape(bad)}' not in page and f'href="{bad}' not in page


def test_hostile_paper_links_never_become_links_on_sample_or_admin_pages(
    clean_db: Engine, process_settings: ProcessSettings, tmp_path: Path
) -> None:
    settings = process_settings(clean_db, mail_url=f"file://{tmp_path / 'outbox'}")
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        for n, paper in enumerate(add_papers(session)):
            # Stored as given, as if written before the ingest check existed.
            paper.project_page = HOSTILE[n % len(HOSTILE)]
            paper.github_repo = HOSTILE[(n + 1) % len(HOSTILE)]
            paper.pdf_url = HOSTILE[(n + 2) % len(HOSTILE)]
        add_subscriber(session, "reader@example.org")
        create_admin_user(session, email="admin@paperboy.test", password="a long enough password")
    send_edition(settings, factory, edition_date=DAY)
    with transaction(factory) as session:
        edition_id = session.scalars(select(Edition.id)).one()

    client = TestClient(create_app(settings, engine=clean_db), follow_redirects=False)
    sample = client.get("/sample")
    assert sample.status_code == 200 and "Speculative Decoding" in sample.text
    assert_only_safe_links(sample.text)

    token = csrf_token(client.get("/admin/login"))
    login = client.post(
        "/admin/login",
        data={
            "email": "admin@paperboy.test",
            "password": "a long enough password",
            "csrf_token": token,
            "next": "/admin",
        },
    )
    assert login.status_code == 303
    for path in ("/admin/papers", f"/admin/editions/{edition_id}"):
        page = client.get(path)
        assert page.status_code == 200 and "Speculative Decoding" in page.text, path
        assert_only_safe_links(page.text)


def test_every_page_forbids_inline_script(client: TestClient) -> None:
    for path in ("/", "/sample", "/admin/login", "/unsubscribe/forged", "/api/v1/nothing"):
        policy = client.get(path).headers["content-security-policy"]
        script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
        assert script_src.split() == ["script-src", "'self'"], policy
        assert "object-src 'none'" in policy and "base-uri 'none'" in policy


def test_no_template_carries_inline_script_or_event_handlers() -> None:
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    for template in [*TEMPLATES.glob("web/*.html"), *TEMPLATES.glob("admin/*.html")]:
        source = template.read_text()
        assert not inline_script.search(source), template.name
        assert not handler.search(source), template.name


@pytest.mark.parametrize("base_url", ["https://paperboy.example", "HTTPS://Paperboy.example"])
def test_hsts_and_secure_cookies_only_when_served_over_https(
    make_client: MakeClient, base_url: str
) -> None:
    https = make_client(base_url=base_url).get("/")
    assert https.headers["strict-transport-security"] == "max-age=31536000"
    assert "secure" in https.headers["set-cookie"].lower()  # the CSRF cookie
    plain = make_client().get("/")
    assert "strict-transport-security" not in plain.headers
    assert "secure" not in plain.headers["set-cookie"].lower()


def test_injected_inline_script_does_not_run_but_the_pages_own_script_does(
    live_server: LiveServer,  # noqa: F811
    browser_page: Page,  # noqa: F811
) -> None:
    def inject(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace(
            "</main>",
            "<script>window.injected = 'ran'</script>"
            "<img src=/nope onerror=\"window.injected = 'ran'\"></main>",
        )
        route.fulfill(response=response, body=body)

    browser_page.route(f"{live_server.url}/", inject)
    browser_page.goto(f"{live_server.url}/")
    assert "window.injected" in browser_page.content()
    # The page's own script (a static file) ran: the timezone is the browser's.
    expect(browser_page.locator("#timezone")).to_have_value("Europe/Paris")
    assert browser_page.evaluate("window.injected === undefined")


def test_the_api_docs_page_works_under_the_script_policy(
    live_server: LiveServer,  # noqa: F811
    browser_page: Page,  # noqa: F811
) -> None:
    # Swagger UI is started by a script file: an inline one is refused by the policy
    # and leaves the page blank.
    refused: list[str] = []
    browser_page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    browser_page.goto(f"{live_server.url}/api/docs")
    expect(browser_page.locator(".opblock").first).to_be_visible(timeout=15_000)
    expect(browser_page.get_by_text("/api/v1/subscriptions").first).to_be_visible()
    assert refused == []


def test_refusals_made_before_the_app_carry_the_same_security_headers(
    make_client: MakeClient,
) -> None:
    client = make_client(base_url="https://paperboy.example", max_body_bytes=1000)
    app = client.app

    @app.get("/boom")  # type: ignore[attr-defined, misc]
    def boom() -> None:
        raise RuntimeError("kaboom")

    too_large = client.post("/subscribe", content=b"x" * 5000, headers={"Accept": "text/html"})
    crashed = TestClient(app, raise_server_exceptions=False).get(
        "/boom", headers={"Accept": "text/html"}
    )
    for response in (too_large, crashed):
        assert response.status_code in (413, 500)
        assert response.headers["content-security-policy"].count("script-src 'self';") == 1
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["strict-transport-security"] == "max-age=31536000"
