"""An admin in a real browser: signs in, watches a send move, pauses and resumes it, exports."""

from __future__ import annotations

import csv
import io
from email.message import EmailMessage

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, update

from app.config import Settings
from app.db import make_session_factory, transaction
from app.models import AdminUser, Delivery, DeliveryStatus
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.admin.scenario import seed_scenario
from tests.browser import save_screenshots

pytestmark = pytest.mark.browser


def _write_outbox_message(settings: Settings) -> str:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    message = EmailMessage()
    message["Subject"] = "Your papers for today"
    message["To"] = "reader01@example.org"
    message["From"] = settings.from_address
    message.set_content("1. Paper number 0\n   Why: you follow diffusion models.")
    message.add_alternative(
        "<h1 style='font-family:sans-serif'>Your papers</h1><ol><li><b>Paper number 0</b>"
        "<br><i>Why: you follow diffusion models.</i></li></ol>",
        subtype="html",
    )
    (settings.outbox_dir / "0001-digest.eml").write_bytes(bytes(message))
    return "0001-digest.eml"


def test_admin_signs_in_watches_a_send_pauses_resumes_and_exports(
    live_server: str,
    browser_page: Page,
    clean_db: Engine,
    admin_account: AdminUser,
    settings: Settings,
) -> None:
    page = browser_page
    with transaction(make_session_factory(clean_db)) as session:
        scenario = seed_scenario(session)
    edition = scenario.today_edition
    assert edition is not None
    outbox_name = _write_outbox_message(settings)

    # Anonymous: sent to the login form.
    page.goto(f"{live_server}/admin")
    expect(page).to_have_url(f"{live_server}/admin/login?next=/admin")
    save_screenshots(page, "admin-login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")

    # The send moves forward while the page is open: the panel follows without a reload.
    panel = page.locator(".progress-panel")
    expect(panel.locator('[data-field="sent"]')).to_have_text("5")
    save_screenshots(page, "admin-overview")
    with transaction(make_session_factory(clean_db)) as session:
        session.execute(
            update(Delivery)
            .where(
                Delivery.edition_id == edition.id,
                Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
            )
            .values(status=DeliveryStatus.SENT)
        )
    expect(panel.locator('[data-field="sent"]')).to_have_text("8", timeout=10_000)
    expect(panel.locator('[data-field="pending"]')).to_have_text("0")
    expect(panel.locator('[data-field="percent"]')).to_have_text("100.0")

    # Pause and resume, confirming each time.
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f"a[href='/admin/editions/{edition.id}']")
    expect(page.locator("h1")).to_contain_text("Edition")
    save_screenshots(page, "admin-edition")
    page.click("#edition-actions button:has-text('Pause')")
    expect(page.locator(".notice[role=status]")).to_contain_text("Paused")
    expect(page.locator('[data-field="status"]')).to_contain_text("paused")
    page.click("#edition-actions button:has-text('Resume')")
    expect(page.locator(".notice[role=status]")).to_contain_text("Resumed")
    expect(page.locator('[data-field="status"]')).to_contain_text("sending")

    page.click("nav.admin-nav >> text=Editions")
    expect(page.locator("#editions tbody tr")).to_have_count(2)
    save_screenshots(page, "admin-editions")

    # Subscribers: search, open one, export the active ones as CSV.
    page.click("nav.admin-nav >> text=Subscribers")
    page.fill("#q", "reader0")
    page.select_option("#status", "active")
    page.click("form[role=search] button")
    expect(page.locator("#subscribers tbody tr")).to_have_count(9)
    save_screenshots(page, "admin-subscribers")
    with page.expect_download() as download_info:
        page.click("#export-csv")
    path = download_info.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert len(rows) == 12 and {r["status"] for r in rows} == {"active"}
    page.click("#subscribers tbody tr >> nth=0 >> a")
    expect(page.locator("h2", has_text="Consent")).to_be_visible()
    save_screenshots(page, "admin-subscriber")

    page.click("nav.admin-nav >> text=Papers")
    expect(page.locator("#papers tbody tr")).to_have_count(4)
    save_screenshots(page, "admin-papers")

    page.click("nav.admin-nav >> text=Outbox")
    expect(page.locator("#outbox tbody tr")).to_have_count(1)
    save_screenshots(page, "admin-outbox")
    page.click(f"a[href='/admin/outbox/{outbox_name}']")
    frame = page.frame_locator("iframe.mail")
    expect(frame.locator("h1")).to_have_text("Your papers")
    save_screenshots(page, "admin-outbox-message")

    page.click("nav.admin-nav >> text=Sign out")
    expect(page).to_have_url(f"{live_server}/admin/login")
