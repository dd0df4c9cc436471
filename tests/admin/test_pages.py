"""Every admin page renders for a signed-in admin, with the seeded numbers on it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.db import make_session_factory, transaction
from tests.admin.scenario import Scenario, seed_scenario


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
