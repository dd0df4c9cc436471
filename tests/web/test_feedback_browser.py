"""A reader in a real browser: from a digest in the outbox, "More like this", confirm, thanks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.models import Paper, PaperFeature, ReaderFeedback
from tests.browser import LiveServer, browser_page, chromium, live_server, screenshot
from tests.factories import DAY, add_papers, add_subscriber
from tests.web.pages import bodies, outbox_messages

__all__ = ["browser_page", "chromium", "live_server"]

pytestmark = pytest.mark.browser


def test_more_like_this_from_a_digest_shapes_the_next_edition(
    live_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    settings = get_settings()
    factory = make_session_factory(live_server.engine)
    with transaction(factory) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")
    send_edition(settings, factory, edition_date=DAY)
    [digest] = outbox_messages(live_server.outbox)
    page.set_content(bodies(digest)[1])
    screenshot(page, "digest-with-feedback", widths=(375, 800))
    cards = page.locator("td.card")
    expect(cards.first).to_be_visible()
    assert cards.count() == page.get_by_role("link", name="More like this").count()

    # The last card is a trending paper, on none of the reader's interests.
    last = cards.last
    title = last.locator("p.title").inner_text()
    last.get_by_role("link", name="More like this").click()
    expect(page.get_by_role("heading", name="More papers like this one?")).to_be_visible()
    expect(page.get_by_text(title)).to_be_visible()
    with Session(live_server.engine) as session:
        assert session.scalars(select(ReaderFeedback)).all() == []
    page.get_by_role("button", name="More like this").click()
    expect(page.get_by_role("heading", name="Thanks, noted")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    expect(page.get_by_role("link", name="Manage your digest")).to_be_visible()
    screenshot(page, "feedback-thanks", widths=(375,))
    # The link sits beside the button, not flush against its lower edge.
    page.set_viewport_size({"width": 375, "height": 800})
    undo = page.get_by_role("button", name="Undo").bounding_box()
    manage = page.get_by_role("link", name="Manage your digest").bounding_box()
    assert undo is not None and manage is not None
    assert undo["y"] < manage["y"] + manage["height"] / 2 < undo["y"] + undo["height"]

    next_day = DAY.replace(day=DAY.day + 1)
    with transaction(factory) as session:
        paper = Paper(arxiv_id="2511.30000", title=f"{title}: a follow-up", abstract=title)
        session.add(paper)
        session.flush()
        session.add(PaperFeature(paper_id=paper.id, featured_on=next_day))
    send_edition(settings, factory, edition_date=next_day)
    [_, following] = outbox_messages(live_server.outbox)
    page.set_content(bodies(following)[1])
    expect(page.get_by_text("Because you liked").first).to_be_visible()
    expect(page.locator("p.why em", has_text=title).first).to_be_visible()
