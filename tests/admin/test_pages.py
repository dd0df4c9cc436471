"""Every admin page renders for a signed-in admin, with the seeded numbers on it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.admin.subscribers import suppress_by_admin
from app.config import Settings
from app.db import make_session_factory, transaction
from tests.admin.conftest import csrf_from
from tests.admin.scenario import Scenario, seed_scenario
from tests.factories import add_subscriber


def _seed(engine: Engine) -> Scenario:
    with transaction(make_session_factory(engine)) as session:
        return seed_scenario(session)


def test_every_admin_page_renders_with_the_seeded_data(
    admin_client: TestClient, clean_db: Engine
) -> None:
    scenario = _seed(clean_db)
    assert scenario.today_edition and scenario.yesterday_edition
    subscriber = scenario.subscribers[0]
    pages = {
        "/admin": "Today",
        "/admin/editions": scenario.today.isoformat(),
        f"/admin/editions/{scenario.today_edition.id}": "Pause",
        f"/admin/editions/{scenario.today_edition.id}?status=failed": "failed",
        f"/admin/editions/{scenario.yesterday_edition.id}": "451 4.7.1 try again later",
        "/admin/subscribers": subscriber.email,
        "/admin/subscribers?q=reader0&status=active": subscriber.email,
        f"/admin/subscribers/{subscriber.id}": "web form",
        "/admin/papers": "invalid arXiv id",
        "/admin/outbox": "Outbox",
    }
    for path, expected in pages.items():
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert expected in response.text, path


def test_a_suppressed_reader_asking_again_shows_on_their_page_and_is_not_mailed(
    admin_client: TestClient, clean_db: Engine, admin_settings: Settings
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        reader = add_subscriber(session, "bounced@example.org")
        suppress_by_admin(session, subscriber_id=reader.id)
    page = f"/admin/subscribers/{reader.id}"
    assert "Asked to subscribe again" not in admin_client.get(page).text

    token = csrf_from(admin_client.get("/").text)
    for address in ("Bounced@example.org", "new@example.org"):
        answer = admin_client.post("/subscribe", data={"email": address, "csrf_token": token})
        assert answer.status_code in (200, 303)

    assert "Asked to subscribe again" in admin_client.get(page).text
    # The new address's confirmation went out; the suppressed one's was built, never sent.
    outbox = Path(admin_settings.mail_url.removeprefix("file://"))
    [mail] = outbox.glob("*.eml")
    assert b"new@example.org" in mail.read_bytes()
