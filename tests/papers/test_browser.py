"""The site in a real browser: phone and desktop, hostile rows inert, axe-core, keyboard only."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.models import Subscriber, SubscriberStatus
from tests.browser import LiveServer, screenshot, serious_accessibility_problems
from tests.factories import settings_for
from tests.hostile.strategies import PAYLOADS
from tests.papers.site_data import DAY, HOSTILE_ID, TRUST_DAY, add_archive, add_trust_corpus
from tests.web.pages import bodies, link, outbox_messages

pytestmark = pytest.mark.browser

PAGES = {
    "papers-day": f"/papers/date/{DAY.isoformat()}",
    "papers-week": "/papers/week/2025-W48",
    "papers-paper": "/papers/2511.20000",
    "papers-hostile-paper": f"/papers/{HOSTILE_ID}",
    "papers-search": "/papers/search?q=speculative+decoding",
}


@pytest.fixture
def archive_server(live_server: LiveServer) -> LiveServer:
    with transaction(make_session_factory(live_server.engine)) as session:
        add_archive(session)
    return live_server


THUMBNAIL = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180">'
    '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
    '<stop offset="0" stop-color="#fde6d6"/><stop offset="1" stop-color="#c2410c"/>'
    "</linearGradient></defs>"
    '<rect width="320" height="180" fill="url(#g)"/>'
    '<path d="M20 150 L90 95 L150 120 L230 50 L300 70" stroke="#fff" stroke-width="6" '
    'fill="none"/></svg>'
)


def _serve_thumbnails(page: Page) -> None:
    """The archive's thumbnails live on a CDN; no network in tests, so the browser gets one here."""
    page.route(
        "https://cdn.example.org/**",
        lambda route: route.fulfill(body=THUMBNAIL, content_type="image/svg+xml"),
    )


def _assert_inert(page: Page, dialogs: list[str]) -> None:
    assert dialogs == [], "a hostile row ran script"
    unsafe_links = page.eval_on_selector_all(
        "a[href]",
        "links => links.map(a => a.getAttribute('href'))"
        ".filter(h => !(h.startsWith('/') && !h.startsWith('//')) && !h.startsWith('#')"
        " && !h.startsWith('https://'))",
    )
    assert unsafe_links == []
    images = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.getAttribute('src'))")
    assert all(src.startswith("https://") for src in images)
    assert page.locator("[onerror], [onclick], [onload]").count() == 0
    assert page.locator("b", has_text="Bold").count() == 0


def _assert_fits(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page scrolls sideways at {width} px ({overflow} px wide)"


def test_site_pages_read_well_on_a_phone_and_a_desktop_and_pass_axe(
    archive_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    _serve_thumbnails(page)
    for name, path in PAGES.items():
        page.goto(archive_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="Get these in your inbox")).to_be_visible()
        _assert_inert(page, dialogs)
        for width in (375, 1280):
            _assert_fits(page, width)
            assert serious_accessibility_problems(page) == [], f"{name} at {width} px"
        screenshot(page, name)

    page.goto(archive_server.url + PAGES["papers-day"])
    titles = page.locator(".paper-card .paper-title")
    expect(titles.first).to_have_text(
        "Speculative Decoding with Draft Trees for Faster LLM Inference"
    )
    expect(page.locator(".paper-card").first.locator("svg.sparkline")).to_be_visible()
    page.get_by_role("link", name="Week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week 48, 2025")


def test_home_manage_and_admin_pages_pass_axe(live_server: LiveServer, browser_page: Page) -> None:
    from app.admin.auth import create_admin_user
    from app.subscriptions.tokens import links_for
    from tests.factories import TEST_SECRET

    page = browser_page
    with transaction(make_session_factory(live_server.engine)) as session:
        reader = Subscriber(email="reader@example.org", status=SubscriberStatus.ACTIVE)
        session.add(reader)
        session.flush()
        links = links_for(
            base_url=live_server.url,
            secret_key=TEST_SECRET,
            subscriber_id=reader.id,
            token_version=reader.token_version,
        )
        create_admin_user(session, email="admin@paperboy.test", password="a long admin password")
    page.goto(live_server.url + "/")
    assert serious_accessibility_problems(page) == []
    page.get_by_role("link", name="Browse today's trending papers →").click()
    expect(page).to_have_url(live_server.url + "/papers")
    page.goto(links.manage)
    expect(page.locator("#status")).to_have_text("active")
    assert serious_accessibility_problems(page) == []
    page.goto(live_server.url + "/admin/login")
    page.fill("#email", "admin@paperboy.test")
    page.fill("#password", "a long admin password")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")
    assert serious_accessibility_problems(page) == []


def _wait_for_mail(server: LiveServer) -> str:
    deadline = time.monotonic() + 10
    while not (messages := outbox_messages(server.outbox)):
        assert time.monotonic() < deadline, "no confirmation email arrived"
        time.sleep(0.1)
    return bodies(messages[-1])[0]


def test_a_keyboard_only_visitor_subscribes_from_a_paper_page(
    archive_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    page.goto(archive_server.url + "/papers/2511.20000")
    interests = page.locator("#subscribe-interests")
    expect(interests).to_have_value("speculative decoding, benchmark")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "subscribe-email":
            break
    else:
        pytest.fail("Tab never reached the subscribe box's email field")
    page.keyboard.type("keyboard.reader@example.org")
    page.keyboard.press("Tab")
    expect(interests).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#subscribe-frequency")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Subscribe")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    page.goto(link(_wait_for_mail(archive_server), "confirm", archive_server.url))
    page.get_by_role("button", name="Yes, send me the digest").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're subscribed")
    with Session(archive_server.engine) as session:
        row = session.scalars(select(Subscriber)).one()
    assert (row.email, row.status, row.interests) == (
        "keyboard.reader@example.org",
        SubscriberStatus.ACTIVE,
        "speculative decoding, benchmark",
    )


def test_the_trust_corpus_runs_nothing_on_the_day_week_paper_and_search_pages(
    live_server: LiveServer, browser_page: Page, tmp_path: Path
) -> None:
    with transaction(make_session_factory(live_server.engine)) as session:
        ids = add_trust_corpus(session, settings_for(tmp_path, live_server.engine))
    page = browser_page
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    paths = [
        f"/papers/date/{TRUST_DAY.isoformat()}",
        "/papers/week/2025-W48",
        "/papers/search?q=speculative+decoding",
        *(f"/papers/{arxiv_id}" for arxiv_id in ids),
    ]
    for path in paths:
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _assert_inert(page, dialogs)
    page.goto(live_server.url + f"/papers/date/{TRUST_DAY.isoformat()}")
    expect(page.locator(".paper-card")).to_have_count(len(PAYLOADS))
    # The markup shows as text, where a reader can see what the source sent.
    expect(page.get_by_text("<script>alert(document.domain)</script>").first).to_be_visible()
    screenshot(page, "papers-trust-corpus-day")
