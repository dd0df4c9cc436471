"""A digest and the manage page read in a real browser, at Gmail's app and web widths."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.config import get_settings
from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.models import Paper
from tests.browser import (
    LiveServer,
    browser_page,
    chromium,
    live_server,
    screenshot,
    serious_accessibility_problems,
)
from tests.factories import DAY, add_papers, add_subscriber
from tests.web.pages import bodies, links_of, outbox_messages

__all__ = ["browser_page", "chromium", "live_server"]

pytestmark = pytest.mark.browser

# Gmail's app on a phone, and its web reading pane.
WIDTHS = (375, 800)
LIBRARY = Path(__file__).parents[1] / "subscriptions" / "fixtures" / "my-library.bib"


def test_each_card_reads_as_one_calm_line_of_metadata_at_phone_and_web_widths(
    live_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    factory = make_session_factory(live_server.engine)
    with transaction(factory) as session:
        papers = add_papers(session)
        papers[0].num_comments = 12
        papers[0].ai_keywords = ["speculative decoding", "draft trees", "LLM inference", "extra"]
        add_subscriber(session, "reader@example.org")
    send_edition(get_settings(), factory, edition_date=DAY)
    [digest] = outbox_messages(live_server.outbox)  # the real message a real send wrote
    html = bodies(digest)[1]
    assert len(html.encode()) < 102 * 1024  # Gmail clips above 102 KB
    page.set_content(html)
    saved = screenshot(page, "digest", widths=WIDTHS)
    assert [path.name for path in saved] == ["digest-375.png", "digest-800.png"]

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        # Nothing runs off the side: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        cards = page.locator("td.card")
        expect(cards.first).to_be_visible()
        for index in range(cards.count()):
            card = cards.nth(index)
            assert card.locator("p.meta").count() == 1  # one line of metadata per paper
            # Its links sit on lines a thumb can hit (44 px), the arXiv abstract among them.
            for line in ("p.links", "p.feedback"):
                height = card.locator(line).evaluate("p => getComputedStyle(p).lineHeight")
                assert height == "44px"
            href = card.get_by_role("link", name="arXiv", exact=True).get_attribute("href")
            assert href and href.startswith("https://arxiv.org/abs/2511.")
        first = cards.filter(has_text="Speculative Decoding with Draft Trees").first
        meta = first.locator("p.meta").inner_text()
        assert "26 Nov 2025" in meta and "12 comments" in meta
        assert "speculative decoding, draft trees, LLM inference" in meta and "extra" not in meta
        arxiv = first.get_by_role("link", name="arXiv", exact=True)
        assert arxiv.get_attribute("href") == "https://arxiv.org/abs/2511.20000"
        more = first.get_by_role("link", name="Full abstract")
        assert more.get_attribute("href") == f"{live_server.url}/papers/2511.20000"

    # "Full abstract" opens the paper's page on the site, with the whole abstract.
    page.set_viewport_size({"width": 375, "height": 900})
    with transaction(factory) as session:
        abstract = session.scalars(
            select(Paper.abstract).where(Paper.arxiv_id == "2511.20000")
        ).one()
    card = page.locator("td.card").filter(has_text="Speculative Decoding with Draft Trees")
    card.first.get_by_role("link", name="Full abstract").click()
    expect(page.get_by_text(abstract)).to_be_visible()


def test_the_manage_page_brings_lists_and_removes_papers_on_a_phone(
    live_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    factory = make_session_factory(live_server.engine)
    with transaction(factory) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(links_of(live_server.engine, "reader@example.org", live_server.url).manage)

    page.get_by_label("Bring papers").fill("2511.20001\nhttps://huggingface.co/papers/2511.20002")
    page.get_by_label("Or a file from your reference manager").set_input_files(str(LIBRARY))
    page.get_by_role("button", name="Add papers").click()

    report = page.locator("#bring-report")
    expect(report).to_contain_text("Added 10 papers.")
    expect(report).to_contain_text("Skipped 4:")
    expect(report).to_contain_text("broken2024 — could not be read as BibTeX")
    brought = page.locator("#brought + ul.steer > li")
    expect(brought).to_have_count(10)
    expect(page.get_by_text("waiting for arXiv").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Every Remove button is a comfortable target.
    box = brought.first.get_by_role("button", name="Remove").bounding_box()
    assert box is not None and box["height"] >= 44
    assert serious_accessibility_problems(page) == []
    screenshot(page, "manage-brought-papers", widths=(375, 1280))

    title = page.locator("#brought + ul.steer > li").filter(has_text="GUI Agents").first
    expect(title).to_be_visible()
    title.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("you no longer bring that paper")).to_be_visible()
    expect(page.locator("#brought + ul.steer > li")).to_have_count(9)
