"""An admin in a real browser: signs in, watches a send move, pauses and resumes it, exports."""

from __future__ import annotations

import csv
import io
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, update

from app.db import make_session_factory, transaction
from app.models import AdminUser, Delivery, DeliveryStatus
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.admin.scenario import seed_scenario
from tests.browser import LiveServer, screenshot

pytestmark = pytest.mark.browser


def _write_outbox_message(outbox: Path) -> str:
    outbox.mkdir(parents=True, exist_ok=True)
    message = EmailMessage()
    message["Subject"] = "Your papers for today"
    message["To"] = "reader01@example.org"
    message["From"] = "Paperboy <digest@paperboy.test>"
    message.set_content("1. Paper number 0\n   Why: you follow diffusion models.")
    message.add_alternative(
        "<h1 style='font-family:sans-serif'>Your papers</h1><ol><li><b>Paper number 0</b>"
        "<br><i>Why: you follow diffusion models.</i></li></ol>",
        subtype="html",
    )
    (outbox / "0001-digest.eml").write_bytes(bytes(message))
    return "0001-digest.eml"


def test_admin_signs_in_watches_a_send_pauses_resumes_and_exports(
    live_server: LiveServer,
    browser_page: Page,
    clean_db: Engine,
    admin_account: AdminUser,
) -> None:
    page = browser_page
    base = live_server.url
    with transaction(make_session_factory(clean_db)) as session:
        scenario = seed_scenario(session)
    edition = scenario.today_edition
    assert edition is not None
    outbox_name = _write_outbox_message(live_server.outbox)

    # Anonymous: sent to the login form.
    page.goto(f"{base}/admin")
    expect(page).to_have_url(f"{base}/admin/login?next=/admin")
    screenshot(page, "admin-login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")

    # The send moves forward while the page is open: the panel follows without a reload.
    panel = page.locator(".progress-panel")
    expect(panel.locator('[data-field="sent"]')).to_have_text("5")
    screenshot(page, "admin-overview")
    with transaction(make_session_factory(clean_db)) as session:
        session.execute(
            update(Delivery)
            .where(
                Delivery.edition_id == edition.id,
                Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            )
            .values(status=DeliveryStatus.SENT)
        )
    expect(panel.locator('[data-field="sent"]')).to_have_text("8", timeout=20_000)
    expect(panel.locator('[data-field="pending"]')).to_have_text("0")
    expect(panel.locator('[data-field="percent"]')).to_have_text("100.0")

    # Pause and resume, confirming each time.
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f"a[href='/admin/editions/{edition.id}']")
    expect(page.locator("h1")).to_contain_text("Edition")
    screenshot(page, "admin-edition")
    page.click("#edition-actions button:has-text('Pause')")
    expect(page.locator(".notice[role=status]")).to_contain_text("Paused")
    expect(page.locator('[data-field="status"]')).to_contain_text("paused")
    page.click("#edition-actions button:has-text('Resume')")
    expect(page.locator(".notice[role=status]")).to_contain_text("Resumed")
    expect(page.locator('[data-field="status"]')).to_contain_text("sending")

    page.click("nav.admin-nav >> text=Editions")
    expect(page.locator("#editions tbody tr")).to_have_count(2)
    screenshot(page, "admin-editions")

    # Subscribers: search, open one, export the active ones as CSV.
    page.click("nav.admin-nav >> text=Subscribers")
    page.fill("#q", "reader0")
    page.select_option("#status", "active")
    page.click("form[role=search] button")
    expect(page.locator("#subscribers tbody tr")).to_have_count(9)
    screenshot(page, "admin-subscribers")
    with page.expect_download() as download_info:
        page.click("#export-csv")
    path = download_info.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == 12 and {r["status"] for r in rows} == {"active"}
    page.click("text=Import CSV")
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "newcomers.csv",
                "mimeType": "text/csv",
                "buffer": b"email,interests\nnewcomer@example.org,agents\n",
            }
        ],
    )
    page.click("form[enctype] button[type=submit]")
    expect(page.locator("#import-report")).to_contain_text("1 imported")
    screenshot(page, "admin-import")
    page.click("nav.admin-nav >> text=Subscribers")
    page.fill("#q", "reader0")
    page.click("form[role=search] button")
    page.click("#subscribers tbody tr >> nth=0 >> a")
    expect(page.locator("h2", has_text="Consent")).to_be_visible()
    screenshot(page, "admin-subscriber")

    # Their digest as the mailer would send it, rendered in a sandboxed frame.
    page.click("#preview-digest")
    expect(page.locator("#preview-subject")).not_to_be_empty()
    digest = page.frame_locator("iframe.mail")
    expect(digest.locator("body")).to_contain_text("Paper number 0")
    expect(page.locator("#preview-text")).to_contain_text("TOP PICKS FOR YOU")
    screenshot(page, "admin-preview")

    page.click("nav.admin-nav >> text=Papers")
    expect(page.locator("#papers tbody tr")).to_have_count(4)
    screenshot(page, "admin-papers")

    page.click("nav.admin-nav >> text=Outbox")
    expect(page.locator("#outbox tbody tr")).to_have_count(1)
    screenshot(page, "admin-outbox")
    page.click(f"a[href='/admin/outbox/{outbox_name}']")
    frame = page.frame_locator("iframe.mail")
    expect(frame.locator("h1")).to_have_text("Your papers")
    screenshot(page, "admin-outbox-message")

    page.click("nav.admin-nav >> text=Sign out")
    expect(page).to_have_url(f"{base}/admin/login")
