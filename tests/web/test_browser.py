"""A person in a real browser: subscribe, confirm from the email, change preferences, leave."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Subscriber, SubscriberStatus
from tests.browser import LiveServer, browser_page, chromium, live_server, screenshot
from tests.web.pages import bodies, link, outbox_messages

__all__ = ["browser_page", "chromium", "live_server"]

pytestmark = pytest.mark.browser


def subscriber(server: LiveServer) -> Subscriber:
    with Session(server.engine) as session:
        return session.scalars(select(Subscriber)).one()


def wait_for_mail(server: LiveServer, count: int = 1) -> str:
    deadline = time.monotonic() + 10
    while len(messages := outbox_messages(server.outbox)) < count:
        assert time.monotonic() < deadline, "no confirmation email arrived"
        time.sleep(0.1)
    return bodies(messages[-1])[0]


def test_subscribe_confirm_change_preferences_and_unsubscribe_in_a_browser(
    live_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("machine-learning papers")
    # The timezone defaults to the browser's.
    expect(page.locator("#timezone")).to_have_value("Europe/Paris")
    expect(page.locator("#weekly-day-field")).to_be_hidden()
    screenshot(page, "subscribe")

    page.fill("#email", "Browser.Reader@Example.org")
    page.fill("#interests", "efficient attention for long documents")
    page.check("input[name=topics][value=llm]")
    page.check("input[name=topics][value=efficiency]")
    page.select_option("#frequency", "weekly")
    expect(page.locator("#weekly-day-field")).to_be_visible()
    page.select_option("#weekly_day", "3")
    page.select_option("#send_hour", "8")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    screenshot(page, "check-inbox", widths=(375,))

    confirm_url = link(wait_for_mail(live_server), "confirm", live_server.url)
    page.goto(confirm_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    assert subscriber(live_server).status is SubscriberStatus.PENDING
    page.get_by_role("button", name="Yes, send me the digest").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're subscribed")
    row = subscriber(live_server)
    assert row.status is SubscriberStatus.ACTIVE
    assert (row.email, row.timezone, row.weekly_day, row.send_hour) == (
        "browser.reader@example.org",
        "Europe/Paris",
        3,
        8,
    )

    page.get_by_role("link", name="Manage preferences").click()
    expect(page.locator("#status")).to_have_text("active")
    expect(page.locator("input[name=topics][value=efficiency]")).to_be_checked()
    page.uncheck("input[name=topics][value=efficiency]")
    page.check("input[name=topics][value=agents]")
    page.select_option("#frequency", "daily")
    page.select_option("#send_hour", "19")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_have_text("Your preferences are saved.")
    screenshot(page, "manage")
    row = subscriber(live_server)
    assert (row.topics, row.frequency.value, row.send_hour) == (["llm", "agents"], "daily", 19)

    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're unsubscribed")
    expect(page.get_by_role("link", name="Subscribe again")).to_be_visible()
    screenshot(page, "unsubscribed", widths=(375,))
    assert subscriber(live_server).status is SubscriberStatus.UNSUBSCRIBED


def test_a_visitor_who_mistypes_their_address_keeps_what_they_entered(
    live_server: LiveServer, browser_page: Page
) -> None:
    page = browser_page
    page.goto(live_server.url + "/")
    page.fill("#email", "reader-at-example.org")
    page.fill("#interests", "speech recognition")
    page.check("input[name=topics][value=speech-audio]")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator("#email-error")).to_contain_text("doesn't look like an email address")
    expect(page.locator("#email")).to_have_value("reader-at-example.org")
    expect(page.locator("#interests")).to_have_value("speech recognition")
    expect(page.locator("input[name=topics][value=speech-audio]")).to_be_checked()
    screenshot(page, "subscribe-error", widths=(375,))
