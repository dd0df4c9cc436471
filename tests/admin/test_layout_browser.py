"""The dashboard at a phone's width and a laptop's: nothing overflows or scrolls sideways,
a fast send's rate fits its card, an edition's papers wait folded with their reach.
Screenshots land in tests/artifacts/ (admin-overview-layout-*, admin-edition-layout-*)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, update

from app.db import make_session_factory, transaction, utcnow
from app.models import AdminUser, Delivery, DeliveryStatus, Edition
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.admin.scenario import seed_scenario
from tests.browser import LiveServer, screenshot

pytestmark = pytest.mark.browser

OVERFLOWING_CARDS = """() => Array.from(document.querySelectorAll('.stats > div'))
  .filter(card => card.scrollWidth > card.clientWidth + 1).map(card => card.textContent.trim())"""
PAGE_WIDTH = "() => document.documentElement.scrollWidth"
FAST_RATE = """() => { document.querySelector('.progress-panel [data-field="rate"]')
  .textContent = '16,150'; }"""


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")


def _at_width(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.reload()


def test_admin_pages_fit_a_phone_and_a_laptop(
    live_server: LiveServer, browser_page: Page, clean_db: Engine, admin_account: AdminUser
) -> None:
    page = browser_page
    with transaction(make_session_factory(clean_db)) as session:
        scenario = seed_scenario(session)
        today, yesterday = scenario.today_edition, scenario.yesterday_edition
        assert today is not None and yesterday is not None
        # A send fast enough for a four-digit rate per minute.
        session.execute(
            update(Edition)
            .where(Edition.id == today.id)
            .values(started_at=utcnow() - timedelta(milliseconds=300))
        )
        first_paper = scenario.papers[0].arxiv_id
        session.execute(
            update(Delivery)
            .where(Delivery.edition_id == yesterday.id, Delivery.status == DeliveryStatus.SENT)
            .values(picks=[{"arxiv_id": first_paper, "score": 1.0, "why": "", "section": "top"}])
        )
    _sign_in(page, live_server.url)

    for width in (1280, 375):
        _at_width(page, width)
        # The live panel may show any rate a fast send reaches (1,615/min ran into ETA).
        page.evaluate(FAST_RATE)
        assert page.evaluate(OVERFLOWING_CARDS) == [], width
        assert page.evaluate(PAGE_WIDTH) <= width
    screenshot(page, "admin-overview-layout")

    page.goto(f"{live_server.url}/admin/editions/{yesterday.id}")
    papers = page.locator("details#papers")
    expect(papers).not_to_have_attribute("open", "")
    expect(papers.locator("summary")).to_contain_text("4 candidates · 1 in digests")
    rate = page.locator('.progress-panel [data-field="rate"]')
    expect(rate).not_to_have_text("—")
    expect(page.locator("#deliveries td[data-label]").first).to_have_attribute(
        "data-label", "Subscriber"
    )
    for width in (1280, 375):
        _at_width(page, width)
        assert page.evaluate(OVERFLOWING_CARDS) == [], width
        assert page.evaluate(PAGE_WIDTH) <= width
    papers.locator("summary").click()
    expect(papers.locator("li").first).to_contain_text("in 10 digests")
    expect(papers.locator("li").nth(1)).to_contain_text("in 0 digests")
    screenshot(page, "admin-edition-layout")
